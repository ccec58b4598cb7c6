"""Delivery rounds in ``run``: each sink drains on its own thread, so a receiver that stalls
holds up its own queue only, never another sink's alerts, a later round or a cycle."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.runtime.jobs import Jobs
from monitor.runtime.metrics import Metrics
from monitor.runtime.slots import cycle_triggers
from monitor.sinks.base import Alert, SendOutcome
from monitor.store import runstate
from monitor.store.tables import Delivery
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SLOT = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)


class StallingSink(RecordingSink):
    """Blocks in ``send`` until released, like a receiver that never finishes answering."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.stuck = threading.Event()
        self.release = threading.Event()

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        self.stuck.set()
        self.release.wait(60)
        return super().send(alerts)


@dataclass
class Rounds:
    jobs: Jobs
    cqc: FakeCqc
    stalled: StallingSink
    healthy: RecordingSink


@pytest.fixture
def rounds(database_url: str) -> Iterator[Rounds]:
    """The run-time jobs over two sinks, one of which stalls; the baseline is in."""
    cqc = FakeCqc(docs.all_real())
    stalled, healthy = StallingSink("stalled"), RecordingSink("healthy")
    settings = settings_for(
        database_url,
        watch={"locations": list(cqc.documents)},
        sinks=[{"name": "stalled", "type": "console"}, {"name": "healthy", "type": "console"}],
    )
    sinks = {"stalled": stalled, "healthy": healthy}
    app = app_for(settings, api=cqc, clock=FakeClock(NOW), sinks=sinks)
    app.review().run("full")
    jobs = Jobs(app, cycle_triggers(app.settings.schedule), Metrics(), threading.Event())
    yield Rounds(jobs, cqc, stalled, healthy)
    stalled.release.set()  # whatever the test asserted, no thread outlives it
    assert jobs.in_flight.wait_idle(10)


def downgrade(cqc: FakeCqc, location_id: str) -> None:
    cqc.documents[location_id] = docs.set_key_question(
        docs.real(location_id), "Overall", "Requires improvement"
    )
    cqc.changed = [location_id]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def tick(jobs: Jobs) -> None:
    """A dispatcher round, on a thread of its own as APScheduler runs it."""
    threading.Thread(target=jobs.deliver, daemon=True).start()


def statuses(app: App) -> dict[str, list[str]]:
    with app.sessions() as session:
        rows = session.execute(select(Delivery.sink, Delivery.status).order_by(Delivery.id))
        found: dict[str, list[str]] = {}
        for sink, status in rows:
            found.setdefault(sink, []).append(status)
        return found


def test_a_stalled_sink_does_not_hold_up_another_sinks_later_rounds(rounds: Rounds) -> None:
    jobs, healthy, stalled = rounds.jobs, rounds.healthy, rounds.stalled
    downgrade(rounds.cqc, docs.HENLEY)
    jobs.app.review().run("full")

    tick(jobs)
    assert stalled.stuck.wait(10)
    wait_until(lambda: len(healthy.sent_event_ids) == 1, "the first round's alert")

    downgrade(rounds.cqc, docs.LUCERNE)
    jobs.app.review().run("full")
    tick(jobs)  # the next round, while the stalled sink is still inside its first send
    wait_until(lambda: len(healthy.sent_event_ids) == 2, "the second round's alert")
    assert stalled.batches == []

    stalled.release.set()
    assert jobs.in_flight.wait_idle(10)
    tick(jobs)
    wait_until(lambda: statuses(jobs.app)["stalled"] == ["sent", "sent"], "the late deliveries")
    assert jobs.in_flight.wait_idle(10)
    with jobs.app.sessions() as session:
        assert runstate.load_jobs(session)["deliver"].last_status == "completed"


def test_a_cycle_with_alerts_is_not_held_up_by_a_stalled_sink(rounds: Rounds) -> None:
    jobs, healthy, stalled = rounds.jobs, rounds.healthy, rounds.stalled
    downgrade(rounds.cqc, docs.HENLEY)

    cycle = threading.Thread(target=jobs.run_cycle, args=("changes", SLOT), daemon=True)
    cycle.start()
    cycle.join(10)

    assert not cycle.is_alive()  # done, though the stalled sink has not answered
    assert stalled.stuck.wait(10)
    wait_until(lambda: len(healthy.sent_event_ids) == 1, "the healthy sink's alert")
    with jobs.app.sessions() as session:
        assert runstate.load_jobs(session)["changes"].last_status == "completed"

    stalled.release.set()
    assert jobs.in_flight.wait_idle(10)  # shutdown waits for the stalled sink too
    assert statuses(jobs.app) == {"stalled": ["sent"], "healthy": ["sent"]}
