"""Alembic, driven from code: ``db upgrade``, ``/readyz`` and the test suite share it."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from monitor.errors import StorageError
from monitor.store.engine import database_file

SchemaState = Literal["current", "empty", "behind", "newer"]
# Inside the package, so an installed wheel carries what ``db upgrade`` runs.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


# Any constant: replicas starting together on PostgreSQL migrate one at a time.
_MIGRATION_LOCK = 4_711_000_042


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``; processes upgrading one database at once take turns, and
    each one after the first finds the schema already there."""
    if engine.dialect.name != "postgresql":
        with _sqlite_upgrade_lock(engine):
            command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        connection.commit()
        try:
            config = alembic_config(engine)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()


@contextmanager
def _sqlite_upgrade_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock on a file beside the database, held while Alembic runs.

    Not the database file itself: closing any descriptor of that file drops the POSIX locks
    SQLite holds on it in this process. Not ``BEGIN EXCLUSIVE`` either: Alembic's batch
    migrations commit as they go and would wait at most SQLite's busy timeout, where this
    waits, like PostgreSQL's advisory lock, as long as the first upgrade takes. The kernel
    releases the lock if the process dies; the empty file stays, so every process always
    locks the same one.
    """
    opened = database_file(engine)
    if opened is None:  # in memory: no other process can see it
        yield
        return
    lock = opened.path.with_name(opened.path.name + ".upgrade-lock")
    try:
        descriptor = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise StorageError(f"cannot lock {lock} for the upgrade: {exc.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def schema_state(engine: Engine) -> SchemaState:
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return "current"
    if current is None:
        return "empty"
    known = {
        script.revision
        for script in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()
    }
    return "behind" if current in known else "newer"


def schema_problem(engine: Engine) -> str | None:
    """Why a reader of this code cannot use the database as it is; None when it can.

    For readers that must not migrate (the dashboard): they say what to do instead.
    """
    state = schema_state(engine)
    if state == "current":
        return None
    if state == "empty":
        return "it holds no cqc-monitor schema (is it a cqc-monitor database?)"
    current, head = current_revision(engine), head_revision(engine)
    if state == "behind":
        return (
            f"its schema is at revision {current}, behind this version's {head}: "
            "upgrade it with `cqc-monitor db upgrade` (on a copy if it must stay as it is)"
        )
    return f"its schema revision {current} comes from a newer cqc-monitor than this one"


def require_current(engine: Engine) -> None:
    """For commands that must not change the schema: refuse a database that is not at head."""
    state = schema_state(engine)
    if state == "current":
        return
    current, head = current_revision(engine), head_revision(engine)
    if state == "newer":
        raise StorageError(
            f"the database's schema revision {current} comes from a newer cqc-monitor than "
            "this one: upgrade cqc-monitor"
        )
    where = "holds no schema yet" if state == "empty" else f"is at schema revision {current}"
    raise StorageError(
        f"the database {where}, behind this version's {head}: run cqc-monitor db upgrade"
    )
