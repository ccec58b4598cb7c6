"""The audit trail, read-only: ``history`` (one location), ``changes`` (events) and
``alerts`` (deliveries to sinks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from monitor import output
from monitor.cli.common import DATABASE, FORMAT, Context, cqc_ids, pass_context, read
from monitor.domain.events import EVENT_TYPES
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The columns of `alerts` (a `test` column follows them in JSON and CSV).
ALERT_COLUMNS = (
    "id",
    "created_at",
    "sink",
    "status",
    "attempts",
    "next_attempt_at",
    "event_type",
    "location_id",
    "last_error",
)


@click.command()
@click.argument("location_id", callback=cqc_ids)
@FORMAT
@DATABASE
@pass_context
def history(ctx: Context, location_id: str, fmt: str, database: str | None) -> None:
    """A location's audit trail: snapshots, ratings over time, events, deliveries."""
    from monitor.store import queries

    rows = read(ctx, lambda s: queries.history(s, location_id), database)
    if not rows:
        watched = read(ctx, lambda s: queries.watched_since(s, location_id), database)
        if watched is not None:
            since = watched.date().isoformat()
            raise MonitorError(
                f"no history for {location_id} yet: watched since {since}, "
                "it is fetched by the next cycle"
            )
        raise MonitorError(f"no history for {location_id}: it has never been checked")
    if fmt == "table":
        click.echo(output.history_table(rows))
    else:
        flat, columns = _flat(rows)
        click.echo(output.render(flat, columns, fmt, raw=rows))


def _flat(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """History for a spreadsheet: one column per key question (as CQC names them), not JSON."""
    questions = list(dict.fromkeys(q for row in rows for q in row.get("ratings") or {}))
    flat = []
    for row in rows:
        event = row.get("event") or {}
        flat.append(
            {
                **row,
                **(row.get("ratings") or {}),
                "event_id": event.get("id") or row.get("event_id"),
                "type": event.get("type") or row.get("event_type"),
                "summary": event.get("summary") or row.get("event_summary"),
                "error": row.get("error") or row.get("last_error"),
            }
        )
    columns = ("at", "kind", "snapshot_id", *questions, "event_id", "type", "summary")
    return flat, (*columns, "sink", "status", "error")


@click.command()
@click.option("--since", metavar="DATE", help="Only events detected on or after this date.")
@click.option("--location", "location_id", metavar="ID", callback=cqc_ids)
@click.option("--type", "event_type", type=click.Choice(EVENT_TYPES))
@FORMAT
@DATABASE
@pass_context
def changes(
    ctx: Context,
    since: str | None,
    location_id: str | None,
    event_type: str | None,
    fmt: str,
    database: str | None,
) -> None:
    """Change events, newest first. ``--format csv`` is the dashboard's Changes CSV: one row
    per event, UTF-8 with a byte order mark for spreadsheets."""
    from monitor.store import queries

    moment = _parse_since(since)
    events = read(
        ctx,
        lambda s: queries.changes(s, since=moment, location_id=location_id, event_type=event_type),
        database,
    )
    if fmt == "csv":
        click.echo(output.changes_csv(events), nl=False)
        return
    rows = [
        {
            "detected_at": e["detected_at"],
            "severity": e["severity"],
            "type": e["type"],
            # A provider's own events name the provider, with ``location`` null.
            "location_id": (e["location"] or e.get("provider") or {}).get("id"),
            "location": (e["location"] or e.get("provider") or {}).get("name"),
            "summary": e["summary"],
            "id": e["id"],
        }
        for e in events
    ]
    columns: tuple[str, ...] = ("detected_at", "severity", "type", "location_id", "summary")
    click.echo(output.render(rows, columns, fmt, raw=events))


def _parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date such as 2026-01-31", param_hint="--since"
        ) from None
    # A bare date or time means UTC, the zone every stored time is in. Converting here, not
    # in the query, turns a moment UTC cannot hold (year 10000) into a usage error.
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise click.BadParameter(
            f"{text!r} is outside the dates UTC can represent (years 1 to 9999)",
            param_hint="--since",
        ) from None


@click.command()
@click.option("--status", type=click.Choice(("pending", "held", "sent", "failed", "dead")))
@FORMAT
@DATABASE
@pass_context
def alerts(ctx: Context, status: str | None, fmt: str, database: str | None) -> None:
    """Deliveries of alerts to sinks, newest first; `held`: waiting for the sink's digest
    window (`next_attempt_at`). `sinks test` sends are listed too, marked as tests."""
    from monitor.store import queries, sink_tests

    def both(session: Session) -> list[dict[str, Any]]:
        deliveries = [{**row, "test": False} for row in queries.alerts(session, status=status)]
        # ``sinks test`` sends: sent or failed, never pending, held or dead.
        tests = (
            []
            if status in {"pending", "held", "dead"}
            else sink_tests.tests(session, outcome=status)
        )
        return sorted([*deliveries, *tests], key=lambda row: row["created_at"], reverse=True)

    rows = read(ctx, both, database)
    columns: tuple[str, ...] = ALERT_COLUMNS
    if fmt != "table":
        columns = (*columns, "test")
    else:  # for people: what "held" waits for, and which rows are tests
        rows = [{**row, "status": _status_words(row)} for row in rows]
    click.echo(output.render(rows, columns, fmt))


def _status_words(row: dict[str, Any]) -> str:
    status: str = row["status"]
    if row["test"]:
        return f"test {status}"
    return "held for digest" if status == "held" else status
