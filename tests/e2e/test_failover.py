"""Replicas on PostgreSQL that fail over (SPEC §8): a cycle survives the death of the replica
running it, and a replica that froze past its lease writes nothing for the cycle it lost.

Real `run` processes share the machine's PostgreSQL and a simulated register of 2,000
locations; the simulator counts every request (per location, and when it arrived) and two
webhook receivers count the alerts they get.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from monitor.sim import Population, SimulatedCqc, wire
from monitor.sim import routes as sim_routes
from monitor.store.engine import make_engine
from monitor.store.tables import Cycle, EventRecord, FeedWatermark, Fetch, JobState
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.support.cli import clean_environment
from tests.support.replicas import Replica, start_replica
from tests.support.waiting import wait_for
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RATE = 100.0  # requests per second: the deployment's total
LEASE = 4.0  # [schedule] cycle_lease_seconds
HEARTBEAT = LEASE / 4  # renewals, and looks for a cycle to take over
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FEED = "changes/location"


class RecordingCqc(SimulatedCqc):
    """The simulator, counting each location's fetches and when every request arrived."""

    def __init__(self, population: Population) -> None:
        super().__init__(population, subscription_key="sim-key")
        self._recording = threading.Lock()
        self.fetched: Counter[str] = Counter()
        self.arrivals: list[float] = []

    def handle(self, target: str, headers: Mapping[str, str]) -> wire.Response:
        where = sim_routes.classify(urlsplit(target).path)
        with self._recording:
            self.arrivals.append(time.monotonic())
            if where.kind == "location" and where.ident:
                self.fetched[where.ident] += 1
        return super().handle(target, headers)

    def forget(self) -> None:
        with self._recording:
            self.fetched.clear()
            self.arrivals.clear()


@dataclass
class Deployment:
    sim: RecordingCqc
    hooks: list[WebhookReceiver]
    config: Path
    engine: Engine
    tmp: Path
    replicas: list[Replica]

    def start(self, name: str) -> Replica:
        replica = start_replica(self.config, self.tmp / f"{name}.log", "--grace", "20")
        self.replicas.append(replica)
        return replica

    def cycle(self, slot_prefix: str = "review:") -> Cycle | None:
        with Session(self.engine) as session:
            return session.scalars(
                select(Cycle).where(Cycle.slot_key.startswith(slot_prefix)).order_by(Cycle.id)
            ).first()


def write_config(
    path: Path, base_url: str, database_url: str, hooks: list[WebhookReceiver], *, rate: float
) -> None:
    sinks = "".join(
        f"""
[[sinks]]
name = "hook-{number}"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
"""
        for number, hook in enumerate(hooks, start=1)
    )
    path.write_text(
        f"""
[database]
url = "{database_url}"
[sources.cqc_api]
base_url = "{base_url}"
subscription_key = "sim-key"
requests_per_second = {rate}
concurrency = 4
[watch]
all = true
[schedule]
timezone = "Europe/London"
changes = "0 7 1 1 *"
review = "0 6 1 * *"
deliver_every_seconds = 3600
cycle_lease_seconds = {LEASE}
[server]
host = "127.0.0.1"
port = 0
[logging]
format = "json"
progress_seconds = 0
{sinks}"""
    )


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    if not POSTGRES_URL:
        pytest.skip("MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)")
    reset_postgres(POSTGRES_URL)
    sim = RecordingCqc(Population.generate(2000))
    with sim.serve() as server, WebhookReceiver() as first, WebhookReceiver() as second:
        hooks = [first, second]
        engine = make_engine(POSTGRES_URL)
        # The baseline at full speed, then the deployment's configured rate.
        baseline = tmp_path / "baseline.toml"
        write_config(baseline, server.base_url, POSTGRES_URL, hooks, rate=0)
        config = tmp_path / "monitor.toml"
        write_config(config, server.base_url, POSTGRES_URL, hooks, rate=RATE)
        built = Deployment(sim, hooks, config, engine, tmp_path, [])
        try:
            checked = subprocess.run(
                [sys.executable, "-m", "monitor", "--config", str(baseline), "check", "--full"],
                capture_output=True,
                text=True,
                timeout=600,
                env=clean_environment(),
            )
            assert checked.returncode == 0, checked.stderr[-2000:]
            yield built
        finally:
            for replica in built.replicas:
                if replica.process.poll() is None:
                    replica.process.kill()
                    replica.process.wait()
            engine.dispose()


def downgrade_some(sim: SimulatedCqc, every: int) -> set[str]:
    """Publish today a downgrade to Inadequate at every ``every``-th rated location."""
    changed = set()
    for position, location_id in enumerate(sim.population.ids()):
        overall = (sim.document(location_id).get("currentRatings") or {}).get("overall") or {}
        if position % every == 0 and overall.get("rating") in {"Good", "Outstanding"}:
            sim.set_rating(location_id, "Overall", "Inadequate", report_date=date.today())
            changed.add(location_id)
    return changed


def review_owed(engine: Engine) -> None:
    """The monthly review's slot was missed (the worker was down on the 1st): the replicas'
    start-up catch-up runs it, one of them claiming the slot."""
    with engine.begin() as connection:
        connection.execute(
            insert(JobState).values(
                job="review", next_run_at=datetime.now(UTC) - timedelta(days=40)
            )
        )


def busiest_window(arrivals: list[float], seconds: float) -> int:
    """The most requests that arrived within any ``seconds``."""
    ordered, most, first = sorted(arrivals), 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] > seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def delivered_ids(hook: WebhookReceiver) -> Counter[str]:
    """How often each event arrived, by the ``webhook-id`` receivers deduplicate on."""
    counts: Counter[str] = Counter()
    for request in list(hook.requests):
        assert request.headers["webhook-id"] == request.json()["data"]["id"]
        counts[request.headers["webhook-id"]] += 1
    return counts


def test_a_killed_replicas_review_is_finished_by_another_exactly_once(
    deployment: Deployment,
) -> None:
    world = deployment
    changed = downgrade_some(world.sim, every=40)
    assert len(changed) >= 15
    review_owed(world.engine)
    world.sim.forget()
    replicas = [world.start(name) for name in ("a", "b", "c")]

    def running_review() -> Cycle | None:
        cycle = world.cycle()
        return cycle if cycle is not None and cycle.locations >= 600 else None

    cycle = wait_for(running_review, 300, "the review a third of the way through")
    (owner,) = [r for r in replicas if r.owner == cycle.owner]
    owner.signal(signal.SIGKILL)
    owner.process.wait()
    killed_at = datetime.now(UTC)
    survivors = [r for r in replicas if r is not owner]

    def completed() -> Cycle | None:
        cycle = world.cycle()
        return cycle if cycle is not None and cycle.status == "completed" else None

    finished = wait_for(completed, 300, "the review to be completed by another replica")
    taken = [line for r in survivors for line in r.events("cycle_taken_over")]
    assert [(t["cycle_id"], t["previous_owner"]) for t in taken] == [(cycle.id, owner.owner)]
    took_over_after = datetime.fromisoformat(taken[0]["timestamp"]) - killed_at
    assert took_over_after.total_seconds() <= LEASE + HEARTBEAT + 15  # generous for a busy host
    assert finished.owner in {r.owner for r in survivors} and finished.fence == 2

    # Every location was fetched in the cycle, none more than twice (a batch in flight at
    # the kill was fetched again); the counts are the whole cycle's.
    ids = set(world.sim.population.ids())
    assert set(world.sim.fetched) == ids
    assert max(world.sim.fetched.values()) <= 2
    assert (finished.locations, finished.changed, finished.errors) == (len(ids), len(changed), 0)
    assert finished.unchanged == len(ids) - len(changed)
    with Session(world.engine) as session:
        events = set(
            session.scalars(select(EventRecord.id).where(EventRecord.cycle_id == cycle.id))
        )
        rated = set(
            session.scalars(
                select(EventRecord.location_id).where(
                    EventRecord.cycle_id == cycle.id, EventRecord.type == "rating_changed"
                )
            )
        )
        watermark = session.scalar(select(FeedWatermark.value).where(FeedWatermark.name == FEED))
    assert rated == changed
    assert finished.events == len(events)
    assert watermark == finished.started_at  # a full review covers everything up to its start

    # Each alert reached each sink exactly once.
    for hook in world.hooks:
        counts = wait_for(
            lambda hook=hook: (c := delivered_ids(hook)) and set(c) == events and c,
            120,
            "every alert at every sink",
        )
        assert set(counts.values()) == {1}

    # The simulator never saw more than the configured total, takeover included. Arrival
    # times carry the host's scheduling delays (requests sent on time can be read together),
    # so the busiest 10 s may hold one second's worth more than 10 s of the rate, no more.
    assert busiest_window(world.sim.arrivals, 10.0) <= RATE * (10 + 1) + 1
    for replica in survivors:
        assert replica.stop() == 0


def test_a_replica_frozen_past_its_lease_writes_nothing_for_the_cycle_it_lost(
    deployment: Deployment,
) -> None:
    world = deployment
    changed = downgrade_some(world.sim, every=60)
    review_owed(world.engine)
    first = world.start("first")
    cycle = wait_for(
        lambda: (c := world.cycle()) is not None and c.locations >= 200 and c,
        300,
        "the review under way",
    )
    assert cycle.owner == first.owner
    first.signal(signal.SIGSTOP)
    frozen_at = datetime.now(UTC)
    second = world.start("second")
    try:
        finished = wait_for(
            lambda: (c := world.cycle()) is not None and c.status == "completed" and c,
            300,
            "the review finished by the second replica",
        )
        assert finished.owner == second.owner and finished.changed == len(changed)
        before = audit_state(world.engine, cycle.id)
        (taken,) = second.events("cycle_taken_over")
        # Within the lease and a heartbeat; if frozen inside a batch transaction, PostgreSQL
        # first ends that session (2 leases idle), and 15 s more for a busy host.
        took_over_after = datetime.fromisoformat(taken["timestamp"]) - frozen_at
        assert took_over_after.total_seconds() <= LEASE + HEARTBEAT + 2 * LEASE + 15
    finally:
        first.signal(signal.SIGCONT)

    lost = first.logged("cycle_lost", timeout=120)
    assert lost["cycle_id"] == cycle.id
    assert f"taken over by {second.owner}" in lost["reason"]
    # What the frozen replica had fetched but not written stayed unwritten.
    assert audit_state(world.engine, cycle.id) == before
    assert first.stop() == 0 and second.stop() == 0
    assert audit_state(world.engine, cycle.id) == before


def audit_state(engine: Engine, cycle_id: int) -> tuple[object, ...]:
    """Everything a cycle wrote: its row, its fetch log, its events, the watermark."""
    with Session(engine) as session:
        row = session.execute(
            select(
                Cycle.status,
                Cycle.owner,
                Cycle.fence,
                Cycle.finished_at,
                Cycle.locations,
                Cycle.changed,
                Cycle.events,
            ).where(Cycle.id == cycle_id)
        ).one()
        fetches = session.scalar(select(func.count()).where(Fetch.cycle_id == cycle_id))
        events = session.scalar(select(func.count()).where(EventRecord.cycle_id == cycle_id))
        watermark = session.scalar(select(FeedWatermark.value).where(FeedWatermark.name == FEED))
    return (*row, fetches, events, watermark)
