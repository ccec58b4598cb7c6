"""Cycle rows: a cycle whose process is gone is closed by the next one; a cycle that cannot
be recorded as ended says so in the log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from structlog.testing import capture_logs

from monitor.services.review import CycleReport
from monitor.store import cycles
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.migrate import upgrade
from monitor.store.tables import Cycle

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def statuses(engine: Engine) -> dict[int, tuple[str, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(Cycle.id, Cycle.status, Cycle.slot_key, Cycle.error))
        return {row.id: (row.status, row.slot_key, row.error) for row in rows}


def test_start_abandons_running_cycles_of_owners_that_are_gone(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    living = {"host-a:10", "host-a:30"}

    def alive(owner: str) -> bool:
        return owner in living

    dead = cycles.start(sessions, "full", "cli", None, "host-a:20", NOW, alive=alive)
    slot = cycles.start(
        sessions, "incremental", "schedule", "changes:x", "host-a:20", NOW, alive=alive
    )
    running = cycles.start(sessions, "full", "cli", None, "host-a:10", NOW, alive=alive)

    newest = cycles.start(sessions, "full", "cli", None, "host-a:30", NOW, alive=alive)

    rows = statuses(engine)
    assert rows[dead] == ("abandoned", None, cycles.GONE)
    # The slot is freed so that the scheduled run can happen again.
    assert rows[slot] == ("abandoned", f"changes:x~rerun-{slot}", cycles.GONE)
    assert rows[running][0] == "running" and rows[newest][0] == "running"


def test_fail_logs_a_cycle_it_cannot_record(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    cycle_id = cycles.start(sessions, "full", "cli", None, "host-a:1", NOW, alive=lambda _: True)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE cycles")  # the database is gone from under us
    try:
        with capture_logs() as logs:
            cycles.fail(sessions, cycle_id, CycleReport(cycle_id, "full"), NOW, "boom")
    finally:
        engine.dispose()
    (line,) = [line for line in logs if line["event"] == "cycle_not_recorded"]
    assert line["cycle_id"] == cycle_id and line["status"] == "failed"
    assert "cycles" in line["error"]
