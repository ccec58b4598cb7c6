"""The schema comes from ``alembic upgrade head`` and matches the models exactly."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from monitor.errors import StorageError
from monitor.store import migrate
from monitor.store.engine import make_engine
from monitor.store.tables import Base
from tests.conftest import POSTGRES_URL, reset_postgres


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent_and_at_head(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.is_at_head(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "locations",
        "fetches",
        "snapshots",
        "events",
        "deliveries",
        "feed_watermarks",
    } <= tables


def test_the_schema_is_read_as_alembic_reads_it(engine: Engine) -> None:
    # Commands compare the version table with the scripts' head without loading Alembic.
    scripts = ScriptDirectory.from_config(migrate.alembic_config(engine))
    assert migrate.script_head() == scripts.get_current_head() is not None
    with engine.connect() as connection:
        recorded = MigrationContext.configure(connection).get_current_revision()
    assert migrate.current_revision(engine) == recorded == scripts.get_current_head()


def test_a_database_behind_the_scripts_is_read_at_its_own_revision(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/behind.db")
    try:
        migrate.upgrade(engine, "0002")
        assert migrate.current_revision(engine) == "0002"
        assert migrate.schema_state(engine) == "behind"
        with pytest.raises(StorageError, match="behind this version's"):
            migrate.require_current(engine)
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_empty_database_is_not_at_head(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        assert not migrate.is_at_head(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)")
def test_replicas_starting_together_migrate_one_at_a_time() -> None:
    reset_postgres(POSTGRES_URL)
    errors: list[BaseException] = []

    def start_replica() -> None:
        engine = make_engine(POSTGRES_URL)
        try:
            migrate.upgrade(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    replicas = [threading.Thread(target=start_replica) for _ in range(3)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=60)
    assert errors == []
    engine = make_engine(POSTGRES_URL)
    try:
        assert migrate.is_at_head(engine)
    finally:
        engine.dispose()
