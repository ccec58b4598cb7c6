"""Alembic, driven from code: ``db upgrade``, ``/readyz`` and the test suite share it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


# Any constant: replicas starting together on PostgreSQL migrate one at a time.
_MIGRATION_LOCK = 4_711_000_042


def upgrade(engine: Engine, revision: str = "head") -> None:
    if engine.dialect.name != "postgresql":
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


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def schema_problem(engine: Engine) -> str | None:
    """Why a reader of this code cannot use the database as it is; None when it can.

    For readers that must not migrate (the dashboard): they say what to do instead.
    """
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return None
    if current is None:
        return "it holds no cqc-monitor schema (is it a cqc-monitor database?)"
    known = {
        script.revision
        for script in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()
    }
    if current in known:
        return (
            f"its schema is at revision {current}, behind this version's {head}: "
            "upgrade it with `cqc-monitor db upgrade` (on a copy if it must stay as it is)"
        )
    return f"its schema revision {current} comes from a newer cqc-monitor than this one"
