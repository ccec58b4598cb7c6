"""Alembic, driven from code: ``db upgrade``, ``/readyz`` and the test suite share it.

Every command asks whether the schema is at head; few ever change it. The answer is read
without Alembic (its version table, and the revision ids of the scripts, read as text), so
Alembic and the scripts' imports load only to migrate, or when the answer is not plain (no
single head, several rows in the version table): then Alembic's own verdict is the answer.
"""

from __future__ import annotations

import ast
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, inspect, text

from monitor.errors import StorageError
from monitor.store.engine import database_file

if TYPE_CHECKING:
    from alembic.config import Config

SchemaState = Literal["current", "empty", "behind", "newer"]
# Inside the package, so an installed wheel carries what ``db upgrade`` runs.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


# Any constant: replicas starting together on PostgreSQL migrate one at a time.
_MIGRATION_LOCK = 4_711_000_042


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``; processes upgrading one database at once take turns, and
    each one after the first finds the schema already there."""
    from alembic import command

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
    head = script_head()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        if len(rows) <= 1:
            return str(rows[0][0]) if rows else None
        from alembic.runtime.migration import MigrationContext  # several heads: its error

        return MigrationContext.configure(connection).get_current_revision()


@cache
def script_head() -> str | None:
    """The one head of the migration scripts, read from their ``revision`` and
    ``down_revision`` assignments; None when Alembic must say (a merge, branches, a value
    that is not a plain string)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name.startswith(("__init__", ".#")):
            continue
        found = _revision_ids(path)
        if found is None:
            return None
        revisions[found[0]] = found[1]
    downs = set(revisions.values()) - {None}
    if not downs <= set(revisions):  # a missing script: Alembic names it
        return None
    heads = set(revisions) - downs
    return heads.pop() if len(heads) == 1 else None


def _revision_ids(path: Path) -> tuple[str, str | None] | None:
    """(revision, down_revision) of a script when both are literals and it is no merge."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:  # not a literal: Alembic reads what it means
                values[target.id] = ...
    revision, down = values.get("revision"), values.get("down_revision")
    plain = values.get("branch_labels") is None and values.get("depends_on") is None
    if isinstance(revision, str) and (down is None or isinstance(down, str)) and plain:
        return revision, down
    return None


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def schema_state(engine: Engine) -> SchemaState:
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return "current"
    if current is None:
        return "empty"
    from alembic.script import ScriptDirectory

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
