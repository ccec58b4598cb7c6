"""``source``: the shape of CQC's documents the monitor has learned (``source shape``), and
the acknowledgement of the changes ``status`` calls attention to (``source ack``)."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import UTC, datetime

import click

from monitor import output
from monitor.cli import source_report
from monitor.cli.common import NO_MIGRATE, Context, pass_context, read


@click.group()
def source() -> None:
    """The shape of CQC's documents: what the monitor has learned, and what changed."""


@source.command("shape")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@pass_context
def source_shape(ctx: Context, fmt: str) -> None:
    """The learned shape: key paths with how many documents had them, the values of every
    enumerated field, and the changes of the last 30 days (read-only)."""
    from monitor.store import source_changes

    now = datetime.now(UTC)
    report, changes = read(
        ctx,
        lambda s: (
            source_changes.shape_report(s),
            source_changes.changes(s, now - source_changes.RECENT),
        ),
    )
    if fmt == "json":
        shown = source_report.shape_json(report, changes)
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    paths = output.render(source_report.path_rows(report), source_report.PATH_COLUMNS, "table")
    values = output.render(source_report.value_rows(report), source_report.VALUE_COLUMNS, "table")
    lines = [*source_report.heading(report), "", paths, "", values]
    if changes:
        lines += ["", "changes:"] + ["  " + source_report.change_line(c) for c in changes]
    click.echo("\n".join(lines))


@source.command("ack")
@click.option(
    "--id",
    "ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="Acknowledge only this change (repeatable); default: every one not acknowledged.",
)
@NO_MIGRATE
@pass_context
def source_ack(ctx: Context, ids: tuple[int, ...], no_migrate: bool) -> None:
    """Acknowledge the changes of CQC's document shape, once the monitor's reading of them
    has been checked: ``status`` stops calling attention to them."""
    from monitor.store import source_changes

    app = ctx.app()
    try:
        app.prepare_database(upgrade=not no_migrate)
        with app.sessions.begin() as session:
            count = source_changes.acknowledge(
                session, app.clock.now(), by=_operator(), ids=list(ids) or None
            )
    finally:
        app.close()
    click.echo(source_report.ack_message(count))


def _operator() -> str:
    """Who acknowledged, as the audit trail records it: user@host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no passwd entry
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
