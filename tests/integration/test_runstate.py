"""The worker's run state on a real database (SQLite file; PostgreSQL when configured):
the single-worker lease, slots that run once, catch-up after downtime, metrics figures."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.bootstrap import App
from monitor.cron import slot_key
from monitor.errors import AuthenticationError
from monitor.runtime.jobs import Jobs, Retry
from monitor.runtime.metrics import Metrics
from monitor.runtime.schedule import Schedule
from monitor.runtime.slots import cycle_triggers
from monitor.runtime.worker import Worker, WorkerOptions
from monitor.sources.base import FetchResult
from monitor.store import runstate
from monitor.store.engine import make_session_factory
from monitor.store.figures import read_figures
from monitor.store.tables import Cycle, Delivery, JobState, Lease
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)
SLOT = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # the daily poll "0 7 * * *", London in winter
WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def make_app(database_url: str, cqc: FakeCqc, owner: str = "host-a:100") -> App:
    settings = settings_for(
        database_url,
        watch={"locations": WATCHED},
        schedule={"changes": "0 7 * * *", "review": "0 6 1 * *"},
        sinks=[{"name": "hook", "type": "console"}],
    )
    app = app_for(settings, api=cqc, clock=FakeClock(NOW), sinks={"hook": RecordingSink("hook")})
    app.owner = owner
    return app


def jobs_for(app: App, stop: threading.Event | None = None) -> Jobs:
    triggers = cycle_triggers(app.settings.schedule)
    return Jobs(app, triggers, Metrics(), stop or threading.Event())


def cycles(app: App) -> list[Cycle]:
    with app.sessions() as session:
        return list(session.scalars(select(Cycle).order_by(Cycle.id)))


def job_state(app: App, job: str) -> runstate.JobRecord:
    with app.sessions() as session:
        return runstate.load_jobs(session)[job]


# --- the lease -----------------------------------------------------------------------------------


def acquire(sessions: sessionmaker[Session], owner: str, now: datetime) -> runstate.LeaseClaim:
    with sessions.begin() as session:
        return runstate.acquire_lease(session, owner, now, TTL)


def test_the_lease_refuses_a_second_worker_until_it_expires(
    sessions: sessionmaker[Session],
) -> None:
    first = acquire(sessions, "host-a:100", NOW)
    assert (first.acquired, first.fence) == (True, 1)

    second = acquire(sessions, "host-b:200", NOW + timedelta(seconds=10))
    assert (second.acquired, second.holder) == (False, "host-a:100")

    taken = acquire(sessions, "host-b:200", NOW + timedelta(seconds=31))
    assert (taken.acquired, taken.fence) == (True, 2)
    with sessions.begin() as session:
        assert not runstate.renew_lease(session, "host-a:100", 1, NOW + timedelta(seconds=32), TTL)
        assert runstate.renew_lease(session, "host-b:200", 2, NOW + timedelta(seconds=32), TTL)


def test_a_renewed_lease_stays_and_a_released_one_is_free_at_once(
    sessions: sessionmaker[Session],
) -> None:
    claim = acquire(sessions, "host-a:100", NOW)
    with sessions.begin() as session:
        assert runstate.renew_lease(session, "host-a:100", claim.fence, NOW + TTL, TTL)
    assert not acquire(sessions, "host-b:200", NOW + timedelta(seconds=45)).acquired

    with sessions.begin() as session:
        runstate.release_lease(session, "host-a:100", claim.fence)
    assert acquire(sessions, "host-b:200", NOW + timedelta(seconds=46)).acquired


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(
    sessions: sessionmaker[Session],
) -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    dead_owner = f"{socket.gethostname()}:{child.pid}"
    assert not runstate.owner_alive(dead_owner)
    assert acquire(sessions, dead_owner, NOW).acquired

    claim = acquire(sessions, "host-b:200", NOW + timedelta(seconds=1))
    assert (claim.acquired, claim.fence) == (True, 2)


# --- slots ---------------------------------------------------------------------------------------


def test_a_slot_runs_once_when_two_workers_fire_it(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    first = make_app(database_url, cqc, owner="host-a:100")
    second = make_app(database_url, cqc, owner="host-b:200")

    jobs_for(first).run_cycle("changes", SLOT)
    fetched = len(cqc.fetched)
    jobs_for(second).run_cycle("changes", SLOT)

    (cycle,) = cycles(first)
    assert (cycle.slot_key, cycle.owner, cycle.status) == (
        "changes:2026-11-29T07:00:00+00:00",
        "host-a:100",
        "completed",
    )
    assert len(cqc.fetched) == fetched == 3
    state = job_state(first, "changes")
    assert (state.last_slot, state.last_status) == (SLOT, "completed")
    assert state.next_run_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


class StoppingCqc(FakeCqc):
    """Shutdown arrives while the first location is being fetched."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(docs.all_real())
        self.stop = stop

    def fetch_location(self, location_id: str) -> FetchResult:
        self.stop.set()
        return super().fetch_location(location_id)


def test_an_abandoned_cycle_frees_its_slot_so_the_catch_up_runs_it(database_url: str) -> None:
    stop = threading.Event()
    app = make_app(database_url, StoppingCqc(stop))
    jobs_for(app, stop).run_cycle("changes", SLOT)

    (abandoned,) = cycles(app)
    assert abandoned.status == "abandoned"
    assert abandoned.slot_key == f"{slot_key('changes', SLOT)}~rerun-{abandoned.id}"
    assert job_state(app, "changes").last_status == "abandoned"

    restarted = make_app(database_url, FakeCqc(docs.all_real()))
    jobs = jobs_for(restarted)
    schedule = Schedule(jobs, timezone="Europe/London", deliver_every=60, heartbeat=lambda: None)
    assert schedule.catch_up() == ["changes"]
    catch_up = schedule.scheduler.get_job("changes-catch-up")
    assert catch_up is not None and catch_up.args == ("changes", SLOT, "catch_up")
    jobs.run_cycle(*catch_up.args)

    rows = [(c.trigger, c.status, c.slot_key) for c in cycles(restarted)]
    assert rows[1] == ("catch_up", "completed", slot_key("changes", SLOT))


class RefusingCqc(FakeCqc):
    """The API refuses the key (an outage of the whole source) until ``heal`` is called."""

    def __init__(self) -> None:
        super().__init__(docs.all_real())
        self.broken = True

    def fetch_location(self, location_id: str) -> FetchResult:
        if self.broken:
            raise AuthenticationError("CQC API refused the subscription key (HTTP 401)")
        return super().fetch_location(location_id)


def test_a_failed_cycle_is_retried_later_for_the_same_slot(database_url: str) -> None:
    cqc = RefusingCqc()
    app = make_app(database_url, cqc)
    jobs = jobs_for(app)

    assert jobs.run_cycle("review", SLOT) == Retry("review", SLOT, timedelta(minutes=15))
    assert job_state(app, "review").last_status == "failed"

    # Still failing: the wait doubles.
    assert jobs.run_cycle("review", SLOT) == Retry("review", SLOT, timedelta(minutes=30))

    cqc.broken = False
    assert jobs.run_cycle("review", SLOT, "retry") is None
    rows = [(c.trigger, c.status) for c in cycles(app)]
    assert rows == [("schedule", "failed"), ("schedule", "failed"), ("retry", "completed")]
    assert cycles(app)[-1].slot_key == slot_key("review", SLOT)


def test_first_start_owes_nothing_and_records_next_runs(database_url: str) -> None:
    app = make_app(database_url, FakeCqc(docs.all_real()))
    schedule = Schedule(jobs_for(app), timezone="Europe/London", deliver_every=60, heartbeat=print)

    assert schedule.catch_up() == []
    assert job_state(app, "changes").next_run_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert job_state(app, "review").next_run_at == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert cycles(app) == []


def test_restart_after_days_down_runs_one_catch_up_then_nothing(database_url: str) -> None:
    app = make_app(database_url, FakeCqc(docs.all_real()))
    with app.sessions.begin() as session:
        runstate.save_job(
            session, "changes", last_slot=SLOT - timedelta(days=4), last_status="completed"
        )
        runstate.save_job(session, "review", next_run_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    jobs = jobs_for(app)

    schedule = Schedule(jobs, timezone="Europe/London", deliver_every=60, heartbeat=print)
    assert schedule.catch_up() == ["changes"]
    catch_up = schedule.scheduler.get_job("changes-catch-up")
    assert catch_up is not None
    jobs.run_cycle(*catch_up.args)

    again = Schedule(jobs, timezone="Europe/London", deliver_every=60, heartbeat=print)
    assert again.catch_up() == []
    assert [(c.trigger, c.slot_key) for c in cycles(app)] == [
        ("catch_up", "changes:2026-11-29T07:00:00+00:00")
    ]


def test_orphaned_cycles_are_closed_and_their_slots_freed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(
            Cycle(
                kind="full",
                trigger="schedule",
                slot_key="review:2026-11-01T06:00:00+00:00",
                owner="host-a:100",
                started_at=NOW,
                status="running",
            )
        )
    with sessions.begin() as session:
        running = runstate.running_cycles(session)
        assert [owner for _, owner, _ in running] == ["host-a:100"]
        runstate.abandon_cycles(session, [i for i, _, _ in running], NOW, "worker died")
    with sessions.begin() as session:
        assert runstate.running_cycles(session) == []
        assert runstate.slot_owner(session, "review:2026-11-01T06:00:00+00:00") is None


def test_job_state_is_upserted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        runstate.save_job(session, "deliver", last_status="completed", last_finished_at=NOW)
    with sessions.begin() as session:
        runstate.save_job(session, "deliver", last_status="failed")
    with sessions() as session:
        row = session.get(JobState, "deliver")
        assert row is not None and (row.last_status, row.last_finished_at) == ("failed", NOW)


# --- figures for /metrics ------------------------------------------------------------------------


def test_figures_count_the_backlog_and_the_last_successful_cycles(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.set_key_question(docs.real(docs.HENLEY), "Safe", "Inadequate")
    app.review().run("full")

    with app.sessions() as session:
        figures = read_figures(session)
    assert (figures.deliveries_pending, figures.deliveries_dead) == (1, 0)
    assert figures.last_success == {"full": NOW}

    with app.sessions.begin() as session:
        session.execute(update(Delivery).values(status="dead"))
    with app.sessions() as session:
        assert read_figures(session).deliveries_dead == 1


# --- the worker and its lease -------------------------------------------------------------------


def test_a_worker_whose_lease_is_taken_over_stops_with_status_one(tmp_path: Path) -> None:
    settings = settings_for(
        f"sqlite:///{tmp_path / 'monitor.db'}",
        server={"host": "127.0.0.1", "port": 0},
        sinks=[],
    )
    worker = Worker(app_for(settings, api=FakeCqc()), WorkerOptions(heartbeat_seconds=0.1))
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(worker.run()))
    thread.start()
    try:
        fence = wait_until(lambda: worker.fence)
        with make_session_factory(worker.app.engine).begin() as session:
            session.execute(update(Lease).values(owner="elsewhere:1", fence=fence + 1))
        thread.join(timeout=10)
    finally:
        worker.request_stop()
        thread.join(timeout=10)
    assert result == [1]
    check = make_app(f"sqlite:///{tmp_path / 'monitor.db'}", FakeCqc())
    with check.sessions() as session:
        assert session.scalar(select(Lease.owner)) == "elsewhere:1"  # not released by the loser


def wait_until(condition: Callable[[], int | None], timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value is not None:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")
