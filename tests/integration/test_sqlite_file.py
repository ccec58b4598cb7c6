"""The SQLite database file: private to its owner (it holds the whole audit trail)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022, under which files are created world-readable unless asked otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_a_new_database_and_its_wal_and_shm_files_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "monitor.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        with engine.connect() as connection:  # WAL and SHM exist while a connection is open
            connection.execute(text("SELECT count(*) FROM locations"))
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        engine.dispose()


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    database = tmp_path / "monitor.db"
    database.touch(mode=0o640)
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    assert mode(database) == 0o640
