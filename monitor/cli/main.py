"""The ``cqc-monitor`` command line (SPEC §4). The only place errors become exit codes."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor import output
from monitor.bootstrap import App, build_app
from monitor.cli.search import resolve_searches
from monitor.cli.sinks_report import COLUMNS as SINK_COLUMNS
from monitor.cli.sinks_report import enable_message, sink_rows
from monitor.cli.status_report import attention, report_lines
from monitor.domain.events import EVENT_TYPES
from monitor.errors import ConfigError, Interrupted, MonitorError, StorageError
from monitor.logs import configure_logging
from monitor.redaction import MASK, Redactor
from monitor.runtime.progress import LoggedProgress
from monitor.runtime.signals import StopSignals
from monitor.runtime.worker import Worker, WorkerOptions
from monitor.services.progress import Progress
from monitor.services.review import CycleAbandoned
from monitor.settings.model import (
    Settings,
    checked_cqc_id,
    load_settings,
    mask_url,
    mask_url_path,
    sink_configs,
)
from monitor.sinks.base import Alert
from monitor.sinks.registry import sample_event
from monitor.store import migrate, queries
from monitor.store.engine import database_errors, make_readonly_engine, make_session_factory
from monitor.store.sink_states import disabled_sinks
from monitor.store.status import deliveries_by_sink, read_status

T = TypeVar("T")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True
)
NO_MIGRATE = click.option(
    "--no-migrate",
    is_flag=True,
    help="Refuse a database behind the migrations instead of upgrading it.",
)


class Context:
    def __init__(self, config_path: str | None = None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None
        # Error messages printed on the way out are masked too, once the secrets are known.
        self.redact = Redactor()

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
            self.redact = Redactor(self._settings.secrets())
            logging = self._settings.logging
            configure_logging(logging.level, logging.format, redact=self.redact)
        return self._settings

    def app(self, **overrides: Any) -> App:
        return build_app(self.settings(), **overrides)


pass_context = click.make_pass_decorator(Context)


class _Commands(click.Group):
    """The command group. ``demo`` (and the simulator it brings), ``dashboard`` (and its web
    framework) and ``healthcheck`` (run every few seconds by container engines) are imported
    only to run them."""

    _LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "demo": ("monitor.demo.command", "demo_command"),
        "dashboard": ("monitor.cli.dashboard", "dashboard_command"),
        "healthcheck": ("monitor.cli.healthcheck", "healthcheck_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._LAZY:
            module, name = self._LAZY[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file (default: $MONITOR_CONFIG or config/monitor.toml).",
)
@click.version_option(package_name="cqc-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Watch the Care Quality Commission for rating changes and deliver alerts."""
    if ctx.obj is None:  # invoked without main(), as click's test runner does
        ctx.obj = Context()
    ctx.obj.config_path = config_path


@cli.command()
@click.option("--full", is_flag=True, help="Re-fetch every watched location.")
@click.option(
    "--location",
    "locations",
    multiple=True,
    metavar="ID",
    callback=lambda _ctx, _param, values: _cqc_ids(values),
    help="Check only this id.",
)
@click.option("--no-deliver", is_flag=True, help="Record events but do not send alerts now.")
@NO_MIGRATE
@pass_context
def check(
    ctx: Context, full: bool, locations: tuple[str, ...], no_deliver: bool, no_migrate: bool
) -> None:
    """Run one review cycle now, then deliver pending alerts.

    SIGTERM or SIGINT stops the cycle after the fetches in hand (it is marked abandoned and
    what was written stands); the exit status is then 128 + the signal (143, 130). A second
    signal exits at once: the next cycle marks the one left running abandoned.
    """
    app = ctx.app()
    stop = threading.Event()
    delivered = False
    with StopSignals(stop, on_second=_exit_now) as signals:
        try:
            app.prepare_database(upgrade=not no_migrate)
            report = app.review(stop, _progress(ctx.settings())).run(
                "full" if full else "incremental", only=locations or None
            )
            app.prune()
            summary = report.summary()
            if not (no_deliver or stop.is_set()):
                summary += "; " + app.dispatcher().deliver_due().summary()
                delivered = True
            click.echo(summary)
            for location_id, reason in report.failures:
                click.echo(f"  failed: {location_id}: {reason}", err=True)
            waiting = app.location_states()["unbaselined"]
            if waiting:
                click.echo(f"{waiting} watched locations have no baseline yet", err=True)
        except CycleAbandoned as exc:
            raise _interrupted(signals, str(exc)) from None
        finally:
            app.close()
    if signals.first is not None and not delivered:
        raise _interrupted(signals, "the cycle finished; its alerts wait for the next delivery")
    if report.locations and not report.fetched_ok:
        raise MonitorError("no location could be fetched; the first failures are listed above")


def _progress(settings: Settings) -> Progress:
    """A live bar on a terminal; elsewhere (a cron job, a log file) ``cycle_progress`` lines."""
    if sys.stderr.isatty():
        from monitor.cli.progress import BarProgress  # rich loads only for a terminal

        return BarProgress(sys.stderr)
    return LoggedProgress(settings.logging.progress_seconds)


def _cqc_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(checked_cqc_id(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--location") from None


def _interrupted(signals: StopSignals, what: str) -> Interrupted:
    number = signals.first or signal.SIGTERM
    return Interrupted(number, f"interrupted by {signal.Signals(number).name}: {what}")


def _exit_now(number: int) -> None:
    # A second signal: no waiting for fetches in flight. Committed batches stand.
    os.write(2, b"error: interrupted again: exiting now\n")
    os._exit(128 + number)


@cli.command()
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="On SIGTERM/SIGINT, how long running work may take to finish or stop "
    "(default: [schedule] grace_seconds).",
)
@NO_MIGRATE
@pass_context
def run(ctx: Context, grace: float | None, no_migrate: bool) -> None:
    """Run the worker: scheduled cycles, alert delivery, /healthz, /readyz and /metrics."""
    if grace is None:
        grace = ctx.settings().schedule.grace_seconds
    worker = Worker(ctx.app(), WorkerOptions(grace_seconds=grace, migrate=not no_migrate))
    if worker.run():
        raise MonitorError(worker.failure or "the worker stopped after an error")


@cli.command()
@NO_MIGRATE
@pass_context
def deliver(ctx: Context, no_migrate: bool) -> None:
    """Deliver pending alerts now (retries those that are due)."""
    app = ctx.app()
    try:
        app.prepare_database(upgrade=not no_migrate)
        click.echo(app.dispatcher().deliver_due().summary())
    finally:
        app.close()


@cli.command()
@click.argument("location_id")
@FORMAT
@pass_context
def history(ctx: Context, location_id: str, fmt: str) -> None:
    """A location's audit trail: snapshots, ratings over time, events, deliveries."""
    rows = _read(ctx, lambda s: queries.history(s, location_id))
    if not rows:
        watched = _read(ctx, lambda s: queries.watched_since(s, location_id))
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


@cli.command()
@click.option("--since", metavar="DATE", help="Only events detected on or after this date.")
@click.option("--location", "location_id", metavar="ID")
@click.option("--type", "event_type", type=click.Choice(EVENT_TYPES))
@FORMAT
@pass_context
def changes(
    ctx: Context, since: str | None, location_id: str | None, event_type: str | None, fmt: str
) -> None:
    """Change events, newest first."""
    moment = _parse_since(since)
    events = _read(
        ctx,
        lambda s: queries.changes(s, since=moment, location_id=location_id, event_type=event_type),
    )
    rows = [
        {
            "detected_at": e["detected_at"],
            "severity": e["severity"],
            "type": e["type"],
            "location_id": e["location"]["id"],
            "location": e["location"]["name"],
            "summary": e["summary"],
            "id": e["id"],
        }
        for e in events
    ]
    columns: tuple[str, ...] = ("detected_at", "severity", "type", "location_id", "summary")
    if fmt == "csv":
        rows = [
            change for row, e in zip(rows, events, strict=True) for change in _per_rating(row, e)
        ]
        columns = (*columns, "location", "id", *_RATING_COLUMNS)
    click.echo(output.render(rows, columns, fmt, raw=events))


_RATING_COLUMNS = ("question", "service", "old", "new", "direction")


def _per_rating(row: dict[str, Any], event: dict[str, Any]) -> list[dict[str, Any]]:
    """A rating change is one CSV row per changed rating; any other event is one row."""
    changes = (
        (event.get("details") or {}).get("changes") or []
        if event["type"] == "rating_changed"
        else []
    )
    if not changes:
        return [row]
    return [{**row, **{c: change.get(c) for c in _RATING_COLUMNS}} for change in changes]


@cli.command()
@click.option("--status", type=click.Choice(("pending", "sent", "failed", "dead")))
@FORMAT
@pass_context
def alerts(ctx: Context, status: str | None, fmt: str) -> None:
    """Deliveries of alerts to sinks, newest first."""
    rows = _read(ctx, lambda s: queries.alerts(s, status=status))
    columns = (
        "id",
        "created_at",
        "sink",
        "status",
        "attempts",
        "event_type",
        "location_id",
        "last_error",
    )
    click.echo(output.render(rows, columns, fmt))


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@pass_context
def status(ctx: Context, fmt: str) -> None:
    """What the worker and its data look like now; exit 1 when something needs attention."""
    engine = _readonly_engine(ctx.settings().database.url)
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
        click.echo(json.dumps({**report, "attention": reasons}, indent=2, default=_iso))
    else:
        click.echo("\n".join(report_lines(report, reasons)))
    if reasons:
        raise click.exceptions.Exit(EXIT_FAILED)


@cli.group(invoke_without_command=True)
@FORMAT
@click.pass_context
def sinks(click_context: click.Context, fmt: str) -> None:
    """Alert sinks: each one's type, state (disabled after a 410 Gone) and deliveries waiting."""
    if click_context.invoked_subcommand is not None:
        return
    ctx = click_context.ensure_object(Context)
    configured = sink_configs(ctx.settings().sinks)
    disabled, counts = _read(ctx, lambda s: (disabled_sinks(s), deliveries_by_sink(s)))
    click.echo(output.render(sink_rows(configured, disabled, counts), SINK_COLUMNS, fmt))


@sinks.command("test")
@click.argument("name")
@pass_context
def sinks_test(ctx: Context, name: str) -> None:
    """Send a realistic sample alert through one sink and report the outcome."""
    app = ctx.app()
    try:
        sink = app.sinks.get(name)
        if sink is None:
            raise _unknown_sink(app, name)
        outcome = sink.send([Alert(delivery_id=0, event=sample_event(app.clock.now()))])[0]
    finally:
        app.close()
    if not outcome.ok:
        raise MonitorError(f"sink {name!r} failed: {outcome.error}")
    click.echo(f"sink {name!r}: sample alert delivered")


@sinks.command("enable")
@click.argument("name")
@NO_MIGRATE
@pass_context
def sinks_enable(ctx: Context, name: str, no_migrate: bool) -> None:
    """Re-enable a sink disabled by a 410 Gone, once its receiver is fixed.

    The deliveries the disable marked dead are due again: the next delivery round sends them
    (same ids, so the receiver can drop any it has). A sink no longer configured only loses
    its disabled state.
    """
    app = ctx.app()
    try:
        app.prepare_database(upgrade=not no_migrate)
        enabled = app.enable_sink(name)
    finally:
        app.close()
    if enabled is None and name not in app.sinks:
        raise _unknown_sink(app, name)
    click.echo(enable_message(name, enabled, configured=name in app.sinks))


def _unknown_sink(app: App, name: str) -> ConfigError:
    known = ", ".join(app.sinks) or "none configured"
    return ConfigError("sinks", f"no sink named {name!r} (configured: {known})")


@cli.group()
def config() -> None:
    """Configuration."""


@config.command("check")
@click.option(
    "--resolve", is_flag=True, help="Ask the CQC API how many locations each search matches now."
)
@pass_context
def config_check(ctx: Context, resolve: bool) -> None:
    """Validate the configuration and print it resolved, secrets masked."""
    settings = ctx.settings()
    data = settings.model_dump(mode="json", exclude={"sinks", "path"})
    data["database"]["url"] = mask_url(settings.database.url)
    data["sinks"] = [
        _mask_sink(c.model_dump(mode="json", by_alias=True)) for c in sink_configs(settings.sinks)
    ]
    data["watch"]["file_ids"] = len(settings.watch_file_ids())
    _check_schema(settings.database.url)
    if resolve:
        resolve_searches(ctx.app(), data["watch"]["search"])
    click.echo(f"# {settings.path}: valid")
    click.echo(json.dumps(data, indent=2))
    for warning in _useless(settings):
        click.echo(f"warning: {warning}", err=True)


def _useless(settings: Settings) -> list[str]:
    """Valid, yet nothing useful would happen: said, but not an error (exit 0)."""
    watch = settings.watch
    warnings = []
    listed = watch.all or watch.locations or watch.providers or watch.search
    if not listed and not settings.watch_file_ids():
        warnings.append("the watchlist is empty: cycles will fetch nothing ([watch])")
    if not settings.sinks:
        warnings.append("no sinks: changes are recorded but nobody is told ([[sinks]])")
    return warnings


def _check_schema(url: str) -> None:
    """A database behind the migrations fails the check; none yet (or unreachable) is a note."""
    try:
        engine = make_readonly_engine(url)
    except StorageError:
        click.echo("note: no database yet: the first check (or db upgrade) creates it", err=True)
        return
    try:
        with database_errors():
            state = migrate.schema_state(engine)
    except StorageError as exc:
        engine.dispose()
        click.echo(f"warning: {exc}", err=True)
        return
    try:
        if state == "empty":
            note = "note: the database has no schema yet: check or db upgrade adds it"
            click.echo(note, err=True)
        else:
            migrate.require_current(engine)  # behind the migrations: the check fails
    finally:
        engine.dispose()


def _mask_sink(section: dict[str, Any]) -> dict[str, Any]:
    """Webhook paths often carry tokens: show only where they point. Header values are masked
    when the header's name says it carries a credential; a plain ``X-Team`` stays readable."""
    if isinstance(section.get("url"), str):
        section["url"] = mask_url_path(section["url"])
    if isinstance(section.get("headers"), dict):
        section["headers"] = {
            name: MASK if _SECRET_HEADER.search(name) else value
            for name, value in section["headers"].items()
        }
    return section


_SECRET_HEADER = re.compile(r"auth|token|key|secret|pass|cookie|signature|session|credential", re.I)


@cli.group()
def db() -> None:
    """Database."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply database migrations (Alembic) up to the latest."""
    app = ctx.app()
    try:
        migrate.upgrade(app.engine)
        click.echo(f"database at revision {migrate.current_revision(app.engine)}")
    finally:
        app.close()


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _read(ctx: Context, query: Callable[[Session], T]) -> T:
    """Read commands open the database read-only and never migrate it."""
    engine = _readonly_engine(ctx.settings().database.url)
    try:
        migrate.require_current(engine)
        with make_session_factory(engine)() as session:
            return query(session)
    finally:
        engine.dispose()


def _readonly_engine(url: str) -> Engine:
    try:
        return make_readonly_engine(url)
    except StorageError as exc:  # no SQLite file yet
        raise StorageError(f"{exc}: run cqc-monitor db upgrade (or a first check)") from None


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


def main(argv: list[str] | None = None) -> None:
    context = Context()

    def fail(message: str, code: int) -> NoReturn:
        click.echo(f"error: {context.redact(message)}", err=True)
        sys.exit(code)

    try:
        # Whatever the database says on the way out, in the store's words: one line, exit 1.
        # Outside standalone mode click returns (not raises) the code of ``click.exceptions.Exit``.
        with database_errors():
            code = cli.main(args=argv, prog_name="cqc-monitor", standalone_mode=False, obj=context)
        if isinstance(code, int) and code != EXIT_OK:
            sys.exit(code)
    except click.exceptions.Abort:
        fail("aborted", EXIT_FAILED)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        fail(f"invalid configuration: {exc}", EXIT_USAGE)
    except Interrupted as exc:  # the shell's convention: 128 + the signal's number
        fail(str(exc), 128 + exc.signal_number)
    except StorageError as exc:
        fail(str(exc), EXIT_FAILED)
    except MonitorError as exc:
        fail(str(exc), EXIT_FAILED)
    sys.exit(EXIT_OK)
