"""``sinks``: the alert sinks and their state; ``sinks test`` and ``sinks enable``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor import output
from monitor.cli.common import DATABASE, FORMAT, NO_MIGRATE, Context, pass_context, read
from monitor.cli.sinks_report import COLUMNS as SINK_COLUMNS
from monitor.cli.sinks_report import enable_message, sink_rows
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.bootstrap import App


@click.group(invoke_without_command=True)
@FORMAT
@DATABASE
@click.pass_context
def sinks(click_context: click.Context, fmt: str, database: str | None) -> None:
    """Alert sinks: each one's type, state (disabled after a 410 Gone) and deliveries waiting."""
    if click_context.invoked_subcommand is not None:
        return
    from monitor.settings.model import sink_configs
    from monitor.store.digests import held_by_sink
    from monitor.store.sink_states import disabled_sinks
    from monitor.store.sink_tests import last_tests
    from monitor.store.status import deliveries_by_sink

    ctx = click_context.ensure_object(Context)
    # With --database and no configuration file: the sinks the database knows of.
    unconfigured = bool(database) and not ctx.has_config()
    configured = [] if unconfigured else sink_configs(ctx.settings().sinks)
    disabled, counts, held, tests = read(
        ctx,
        lambda s: (disabled_sinks(s), deliveries_by_sink(s), held_by_sink(s), last_tests(s)),
        database,
    )
    for name, waiting in held.items():
        counts.setdefault(name, {})["held"] = waiting.count
    others = sorted({*counts, *tests}) if unconfigured else []
    rows = sink_rows(configured, disabled, counts, others, tests)
    click.echo(output.render(rows, SINK_COLUMNS, fmt))


@sinks.command("test")
@click.argument("name")
@NO_MIGRATE
@pass_context
def sinks_test(ctx: Context, name: str, no_migrate: bool) -> None:
    """Send a realistic sample alert through one sink and report the outcome.

    The send is kept in the audit trail, marked as a test: ``sinks`` and ``alerts`` show it;
    it never counts as an alert, is never retried and never reaches a digest.
    """
    app = ctx.app()
    try:
        if name not in app.sinks:
            raise _unknown_sink(app, name)
        app.prepare_database(upgrade=not no_migrate)
        outcome = app.test_sink(name)
    finally:
        app.close()
    if outcome is None:
        raise _unknown_sink(app, name)
    if not outcome.ok:
        raise MonitorError(f"sink {name!r} failed: {outcome.error}")
    click.echo(f"sink {name!r}: sample alert delivered (kept as a test in the audit trail)")


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
