"""Cycle rows: a cycle whose process is gone is closed by the next one, or taken over by
another replica once its lease runs out, after which the old owner writes nothing for it; a
cycle that cannot be recorded as ended says so in the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from structlog.testing import capture_logs

from monitor.errors import CycleLostError, SourceError
from monitor.store import cycles
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.tables import Cycle
from tests.fakes import FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
EXPIRED = timedelta(seconds=-1)  # a lease that has already run out, in database time


def statuses(engine: Engine) -> dict[int, tuple[str, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(Cycle.id, Cycle.status, Cycle.slot_key, Cycle.error))
        return {row.id: (row.status, row.slot_key, row.error) for row in rows}


def test_start_abandons_running_cycles_of_owners_that_are_gone(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    living = {"host-a:10", "host-a:30"}

    def alive(owner: str) -> bool:
        return owner in living

    def start(kind: str, trigger: str, slot: str | None, owner: str) -> int:
        with sessions.begin() as session:
            lease = cycles.start(session, kind, trigger, slot, owner, NOW, alive=alive, ttl=LEASE)
            return lease.cycle_id

    dead = start("full", "cli", None, "host-a:20")
    slot = start("incremental", "schedule", "changes:x", "host-a:20")
    running = start("full", "cli", None, "host-a:10")

    newest = start("full", "cli", None, "host-a:30")

    rows = statuses(engine)
    assert rows[dead] == ("abandoned", None, cycles.GONE)
    # The slot is freed so that the scheduled run can happen again.
    assert rows[slot] == ("abandoned", f"changes:x~rerun-{slot}", cycles.GONE)
    assert rows[running][0] == "running" and rows[newest][0] == "running"


def test_replicas_leave_a_dead_owners_scheduled_cycle_for_takeover(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        scheduled = cycles.start(
            session, "full", "schedule", "review:x", "host-a:20", NOW, alive=bool, ttl=LEASE
        )
        checked = cycles.start(
            session, "full", "cli", None, "host-a:21", NOW, alive=bool, ttl=EXPIRED
        )
    with sessions.begin() as session:
        cycles.start(
            session,
            "incremental",
            "cli",
            None,
            "host-b:1",
            NOW,
            alive=lambda owner: owner != "host-a:20",
            ttl=LEASE,
            takeover=True,
        )
    rows = statuses(engine)
    assert rows[scheduled.cycle_id][0] == "running"  # another replica finishes it
    assert rows[checked.cycle_id][0] == "abandoned"  # a `check` whose lease ran out


def test_an_expired_cycle_is_taken_over_once_and_its_old_owner_is_fenced_out(
    engine: Engine,
) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        old = cycles.start(
            session, "full", "schedule", "review:x", "host-a:20", NOW, alive=bool, ttl=EXPIRED
        )
    with sessions.begin() as session:
        assert cycles.renew(session, old, EXPIRED)  # still its owner until someone takes over
        cycles.record_window(session, old, (NOW - timedelta(days=1), NOW))

    with sessions.begin() as session:
        taken = cycles.take_over(session, "host-b:1", LEASE, alive=bool)
    assert taken is not None
    assert (taken.lease.cycle_id, taken.lease.fence) == (old.cycle_id, 2)
    assert (taken.kind, taken.slot_key, taken.previous_owner) == ("full", "review:x", "host-a:20")
    assert taken.feed_window == (NOW - timedelta(days=1), NOW)
    with sessions.begin() as session:  # a live lease is nobody else's to take
        assert cycles.take_over(session, "host-c:1", LEASE, alive=bool) is None

    # The old owner, back from a pause, can neither write, renew nor close the cycle.
    with sessions.begin() as session, pytest.raises(CycleLostError, match="taken over by host-b:1"):
        cycles.hold(session, old)
    with sessions.begin() as session:
        assert not cycles.renew(session, old, LEASE)
        assert not cycles.finish(session, old, NOW, status="failed", error="late")
    with sessions.begin() as session:
        cycles.hold(session, taken.lease)
        cycles.add_counts(session, taken.lease, {"locations": 3, "changed": 1, "events": 2})
        cycles.add_counts(session, taken.lease, {"locations": 2, "unchanged": 2})
        assert cycles.finish(session, taken.lease, NOW)
    with sessions.begin() as session:
        totals = cycles.totals(session, old.cycle_id)
    assert (totals["locations"], totals["changed"], totals["unchanged"], totals["events"]) == (
        5,
        1,
        2,
        2,
    )
    assert statuses(engine)[old.cycle_id] == ("completed", "review:x", None)


class VanishingDatabase(FakeCqc):
    """The database is dropped from under the cycle while it reads the change feed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(docs.all_real())
        self.engine = engine

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        with self.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE cycles")
        raise SourceError("the register is unavailable")


def test_a_failed_cycle_that_cannot_be_recorded_is_logged_and_the_failure_kept(
    tmp_path: Path,
) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'monitor.db'}", watch={"all": True})
    app = app_for(settings, api=VanishingDatabase(make_engine(settings.database.url)))

    with capture_logs() as logs, pytest.raises(SourceError, match="register is unavailable"):
        app.review().run("full")

    (line,) = [line for line in logs if line["event"] == "cycle_not_recorded"]
    assert line["status"] == "failed"
    assert "cycles" in line["error"]
