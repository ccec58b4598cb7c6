"""``status``: what the worker and its data look like now (read-only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from monitor.cli.common import DATABASE, EXIT_FAILED, Context, iso, pass_context, readonly_engine
from monitor.cli.status_report import attention, report_lines


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@DATABASE
@pass_context
def status(ctx: Context, fmt: str, database: str | None) -> None:
    """What the worker and its data look like now; exit 1 when something needs attention."""
    from monitor.store import migrate
    from monitor.store.engine import make_session_factory
    from monitor.store.status import read_status

    engine = readonly_engine(ctx.database_url(database))
    try:
        migrate.require_current(engine)
        now = datetime.now(UTC)
        with make_session_factory(engine)() as session:
            report = read_status(session, now)
        head = migrate.head_revision(engine)
        report["schema"] = {"current": migrate.current_revision(engine), "head": head}
    finally:
        engine.dispose()
    reasons = attention(report, now)
    if fmt == "json":
        click.echo(json.dumps({**report, "attention": reasons}, indent=2, default=iso))
    else:
        click.echo("\n".join(report_lines(report, reasons)))
    if reasons:
        raise click.exceptions.Exit(EXIT_FAILED)
