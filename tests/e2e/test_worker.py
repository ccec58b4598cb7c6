"""``cqc-monitor run`` as a real process against the simulated CQC API (SPEC §1, §8).

The change feed is polled every second (``[schedule] changes_every_seconds``); the test
changes ratings in the simulator and watches the alerts arrive, the endpoints answer, SIGTERM
end the process cleanly, and a restart after a missed slot run exactly one catch-up cycle.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitor.sim import Population, SimulatedCqc
from monitor.store import runstate
from monitor.store.engine import make_engine
from monitor.store.tables import Cycle, Delivery, EventRecord, JobState
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.support import documents as docs
from tests.support.waiting import wait_for
from tests.support.webhook_receiver import RecordedRequest, WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GRACE = 8.0


@dataclass
class World:
    sim: SimulatedCqc
    hook: WebhookReceiver
    config: Path
    engine: Engine
    logs: Path


@contextmanager
def make_world(tmp_path: Path, database_url: str) -> Iterator[World]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook:
        config = tmp_path / "monitor.toml"
        config.write_text(
            f"""
[database]
url = "{database_url}"
[sources.cqc_api]
base_url = "{server.base_url}"
subscription_key = "sim-key"
requests_per_second = 0
[watch]
locations = ["{docs.HENLEY}", "{docs.LUCERNE}", "{docs.ALLIED}"]
[schedule]
timezone = "Europe/London"
review = "0 6 1 1 *"
changes_every_seconds = 1
deliver_every_seconds = 1
[server]
host = "127.0.0.1"
port = 0
[logging]
format = "json"
progress_seconds = 0
[[sinks]]
name = "hook"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
"""
        )
        engine = make_engine(database_url)
        try:
            yield World(simulator, hook, config, engine, tmp_path / "worker.log")
        finally:
            engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, f"sqlite:///{tmp_path / 'monitor.db'}") as built:
        yield built


@pytest.fixture
def postgres_world(tmp_path: Path) -> Iterator[World]:
    if not POSTGRES_URL:
        pytest.skip("MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)")
    reset_postgres(POSTGRES_URL)
    with make_world(tmp_path, POSTGRES_URL) as built:
        yield built


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def command(world: World) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(world.config), "run"]


def start(world: World, logs: Path | None = None) -> subprocess.Popen[bytes]:
    logs = logs or world.logs
    with logs.open("wb") as log:
        return subprocess.Popen(
            [*command(world), "--grace", str(GRACE)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=environment(),
        )


def log_lines(world: World, logs: Path | None = None) -> list[dict[str, Any]]:
    lines = []
    for line in (logs or world.logs).read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def logged(
    world: World, event: str, timeout: float = 10.0, logs: Path | None = None
) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return next((line for line in log_lines(world, logs) if line["event"] == event), None)

    found: dict[str, Any] = wait_for(find, timeout, f"log event {event}")
    return found


def cycles(world: World) -> list[Cycle]:
    with Session(world.engine) as session:
        return list(session.scalars(select(Cycle).order_by(Cycle.id)))


def stop(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=GRACE + 10)
    return code, time.monotonic() - started


def alerts(world: World, event_type: str) -> list[RecordedRequest]:
    return [r for r in list(world.hook.requests) if r.json()["type"] == event_type]


def sent_metrics(base: str) -> str | None:
    text = requests.get(base + "/metrics", timeout=5).text
    return text if 'cqc_monitor_deliveries_total{outcome="sent",sink="hook"}' in text else None


def slot_time(cycle: Cycle) -> datetime:
    # An abandoned cycle's slot key carries a suffix (``~rerun-<id>``) that frees the slot.
    moment = cycle.slot_key.split(":", 1)[1].split(runstate.RERUN_SUFFIX)[0]
    return datetime.fromisoformat(moment)


def test_run_polls_on_schedule_alerts_stops_cleanly_and_catches_up_once(world: World) -> None:
    worker = start(world)
    try:
        port = logged(world, "health_listening")["port"]
        base = f"http://127.0.0.1:{port}"
        assert set(logged(world, "worker_started")["next_runs"]) == {"changes", "review"}
        logged(world, "cycle_completed")  # the first poll on an empty database: a full review
        progress = logged(world, "cycle_progress")
        assert (progress["kind"], progress["done"], progress["total"]) == ("full", 3, 3)
        assert {"rate", "eta_s", "errors"} <= set(progress)

        # A rating change is alerted the same day, signed, within a couple of polls.
        world.sim.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date=date.today())
        (request,) = wait_for(lambda: alerts(world, "rating_changed"), what="the alert")
        assert request.json()["data"]["location"]["id"] == docs.HENLEY
        assert verify_signature(SECRET, request.headers, request.body)

        assert requests.get(base + "/healthz", timeout=5).status_code == 200
        ready = requests.get(base + "/readyz", timeout=5)
        assert (ready.status_code, ready.json()["status"]) == (200, "ready")
        metrics = wait_for(lambda: sent_metrics(base), what="delivery metrics")
        assert 'cqc_monitor_events_total{type="rating_changed"} 1.0' in metrics
        assert 'cqc_monitor_next_run_timestamp_seconds{schedule="review"}' in metrics
        # What the alert rules and the dashboard read: readiness, requests to CQC, the sinks.
        assert "cqc_monitor_ready 1.0" in metrics
        assert 'cqc_monitor_http_requests_total{outcome="ok",source="api"}' in metrics
        assert 'cqc_monitor_sink_deliveries{sink="hook",state="dead"} 0.0' in metrics

        # Polls keep coming on schedule (one a second here).
        wait_for(
            lambda: [c for c in cycles(world) if c.trigger == "schedule"][2:],
            what="three scheduled polls",
        )

        # SQLite: one worker per database file.
        second = subprocess.run(
            command(world), capture_output=True, text=True, timeout=30, env=environment()
        )
        assert second.returncode == 1
        owner = f"{socket.gethostname()}:{worker.pid}"
        assert f"another worker ({owner}) is running on this database" in second.stderr
    finally:
        code, took = stop(worker)
    assert code == 0 and took < GRACE
    assert "worker_stopped" in {line["event"] for line in log_lines(world)}

    first_run = cycles(world)
    assert {c.status for c in first_run} <= {"completed", "abandoned"}
    scheduled = [c for c in first_run if c.trigger == "schedule"]
    assert len(scheduled) >= 3
    for cycle in scheduled:  # each cycle runs for its own slot (a busy host may start it late)
        assert 0 <= (cycle.started_at - slot_time(cycle)).total_seconds() < 30
    with world.engine.connect() as connection:
        assert connection.scalar(select(EventRecord.id).limit(1)) is not None
        unsent = connection.execute(select(Delivery.id).where(Delivery.status != "sent"))
        assert list(unsent) == []

    # Down for a few slots, then back: one catch-up cycle for all of them.
    time.sleep(2.5)
    worker = start(world)
    try:
        caught_up = logged(world, "catch_up")
        assert caught_up["job"] == "changes"
        wait_for(lambda: [c for c in cycles(world) if c.trigger == "catch_up"], what="catch-up")
        abandoned = slow_cycle_in_flight(world)
    finally:
        code, took = stop(worker)
    assert code == 0 and took < GRACE

    everything = cycles(world)
    assert [c.trigger for c in everything].count("catch_up") == 1
    assert {c.status for c in everything} <= {"completed", "abandoned"}
    # The cycle in hand at SIGTERM stopped after its batch: nothing of it was written.
    (stopped,) = [c for c in everything if c.id == abandoned]
    assert (stopped.status, stopped.locations, stopped.events) == ("abandoned", 0, 0)
    with world.engine.connect() as connection:
        state = connection.execute(select(JobState).where(JobState.job == "changes")).one()
        assert state.last_status == "abandoned"


def test_run_stops_with_an_error_when_its_sqlite_file_is_deleted(world: World) -> None:
    worker = start(world)
    try:
        logged(world, "cycle_completed")
        database = Path(str(world.engine.url.database))
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
        code = worker.wait(timeout=GRACE + 30)
    finally:
        if worker.poll() is None:
            stop(worker)
    assert code == 1
    lost = logged(world, "database_file_lost")
    assert lost["reason"] == f"the SQLite file {database} was deleted while in use"
    assert f"error: the SQLite file {database} was deleted" in world.logs.read_text()


def slow_cycle_in_flight(world: World) -> int:
    """Make the next poll slow (a changed location answers after 3 s); its cycle id."""
    world.sim.faults.latency(3.0, path_prefix="/locations/")
    changed_at = datetime.now(UTC)
    world.sim.set_rating(docs.LUCERNE, "Safe", "Inadequate", report_date=date.today())

    def running() -> int | None:
        for cycle in cycles(world):
            if cycle.status == "running" and cycle.started_at > changed_at:
                return int(cycle.id)
        return None

    cycle_id: int = wait_for(running, what="a poll fetching the changed location")
    time.sleep(0.5)
    assert running() == cycle_id, "the poll should still be waiting for the slow location"
    return cycle_id


def completed_cycles(world: World) -> list[Cycle]:
    return [c for c in cycles(world) if c.status == "completed"]


@pytest.mark.postgres
def test_replicas_on_postgresql_run_each_slot_once(postgres_world: World, tmp_path: Path) -> None:
    world = postgres_world
    first = start(world, tmp_path / "first.log")
    try:
        logged(world, "worker_started", logs=tmp_path / "first.log")
        second = start(world, tmp_path / "second.log")
        try:
            logged(world, "worker_started", logs=tmp_path / "second.log")
            # The first cycle is the silent baseline: change nothing until it is stored.
            wait_for(lambda: completed_cycles(world), timeout=60, what="the baseline cycle")
            world.sim.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date=date.today())
            wait_for(lambda: alerts(world, "rating_changed"), timeout=60, what="the alert")
            # Both replicas fire several slots meanwhile.
            wait_for(lambda: completed_cycles(world)[4:], timeout=60, what="five cycles")
        finally:
            assert stop(second)[0] == 0
    finally:
        assert stop(first)[0] == 0

    everything = cycles(world)
    keys = [c.slot_key for c in everything]
    assert len(keys) == len(set(keys)) >= 5
    # A poll in flight when a replica is stopped ends abandoned (a busy host makes that
    # likelier); nothing else ends otherwise than completed.
    statuses = [c.status for c in everything]
    assert set(statuses) <= {"completed", "abandoned"} and statuses.count("abandoned") <= 2
    assert statuses.count("completed") >= 5
    owners = {f"{socket.gethostname()}:{p.pid}" for p in (first, second)}
    assert {c.owner for c in everything} <= owners
    # Both fired the same slots; the one that came second stood down.
    logs = log_lines(world, tmp_path / "first.log") + log_lines(world, tmp_path / "second.log")
    skipped = [line for line in logs if line["event"] == "job_skipped"]
    assert any("slot" in line["reason"] for line in skipped)
    assert len(alerts(world, "rating_changed")) == 1


def test_a_change_published_today_is_alerted_even_when_it_lands_in_the_baseline(
    world: World,
) -> None:
    # Before the worker's first cycle, CQC publishes a downgrade dated today: the monitor was
    # already watching (the ids entered the watchlist today), so the baseline reports it.
    world.sim.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date=date.today())
    worker = start(world)
    try:
        (request,) = wait_for(
            lambda: alerts(world, "rating_changed"), timeout=60, what="the baseline alert"
        )
    finally:
        stop(worker)
    event = request.json()["data"]
    assert event["location"]["id"] == docs.HENLEY
    assert event["severity"] == "critical"
    (change,) = event["details"]["changes"]
    assert (change["question"], change["old"], change["new"]) == ("Overall", "Good", "Inadequate")
