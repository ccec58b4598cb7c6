"""``db upgrade``: apply the database migrations."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_context


@click.group()
def db() -> None:
    """Database."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply database migrations (Alembic) up to the latest."""
    from monitor.store import migrate

    app = ctx.app()
    try:
        migrate.upgrade(app.engine)
        click.echo(f"database at revision {migrate.current_revision(app.engine)}")
    finally:
        app.close()
