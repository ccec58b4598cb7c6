"""Alembic environment: the engine comes from ``monitor.store.migrate`` (or alembic.ini's url)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

from monitor.store.tables import Base

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    return create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///data/monitor.db")


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


def main() -> None:
    # A caller holding a connection (and a lock on it) passes the connection itself.
    given = config.attributes.get("connection")
    if given is not None:
        run_migrations(given)
        return
    with _engine().connect() as connection:
        run_migrations(connection)


main()
