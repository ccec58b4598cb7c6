"""Cycle rows: a cycle whose process is gone is closed by the next one; a cycle that cannot
be recorded as ended says so in the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from structlog.testing import capture_logs

from monitor.errors import SourceError
from monitor.store import cycles
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.tables import Cycle
from tests.fakes import FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

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

    def start(kind: str, trigger: str, slot: str | None, owner: str) -> int:
        with sessions.begin() as session:
            return cycles.start(session, kind, trigger, slot, owner, NOW, alive=alive)

    dead = start("full", "cli", None, "host-a:20")
    slot = start("incremental", "schedule", "changes:x", "host-a:20")
    running = start("full", "cli", None, "host-a:10")

    newest = start("full", "cli", None, "host-a:30")

    rows = statuses(engine)
    assert rows[dead] == ("abandoned", None, cycles.GONE)
    # The slot is freed so that the scheduled run can happen again.
    assert rows[slot] == ("abandoned", f"changes:x~rerun-{slot}", cycles.GONE)
    assert rows[running][0] == "running" and rows[newest][0] == "running"


class VanishingDatabase(FakeCqc):
    """The database is dropped from under the cycle while it reads the change feed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(docs.all_real())
        self.engine = engine

    def iter_register(self) -> Iterator[str]:
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
