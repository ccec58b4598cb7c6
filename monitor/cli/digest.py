"""``digest send``: the digests waiting for their window, sent now (SPEC §4, §6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.common import NO_MIGRATE, Context, pass_context
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.bootstrap import App
    from monitor.services.digests import SinkDigests


@click.group()
def digest() -> None:
    """Digests: what each sink with a `digest` schedule holds for its window."""


@digest.command("send")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink's digest.")
@NO_MIGRATE
@pass_context
def digest_send(ctx: Context, sink_name: str | None, no_migrate: bool) -> None:
    """Send what the sinks hold for their digest now, one message per sink.

    Every held event goes, whatever window it waits for; a digest still waiting for a retry is
    tried again now. Nothing waiting: nothing is sent (exit 0). A digest that could not be sent
    is retried by the worker or `deliver` as a whole, with the same id (exit 1).
    """
    app = ctx.app()
    try:
        names = _digest_sinks(app, sink_name)
        app.prepare_database(upgrade=not no_migrate)
        dispatcher = app.dispatcher()
        done = [dispatcher.send_digests(name) for name in names]
    finally:
        app.close()
    if not names:
        click.echo('no sink has a digest (digest = "<cron>" in a [[sinks]] table): nothing to send')
    for sink in done:
        click.echo("\n".join(report_lines(sink)))
    failed = [sink.sink for sink in done if sink.disabled or _failed(sink)]
    if failed:
        raise MonitorError(f"not every digest was sent: {', '.join(failed)}")


def _digest_sinks(app: App, name: str | None) -> list[str]:
    """The sinks to send for; a name that is not a digest sink is a usage error."""
    with_digest = app.windows.sinks()
    if name is None:
        return with_digest
    if name not in app.sinks:
        known = ", ".join(app.sinks) or "none configured"
        raise ConfigError("sinks", f"no sink named {name!r} (configured: {known})")
    if name not in with_digest:
        others = ", ".join(with_digest) or "none"
        raise ConfigError(
            "sinks",
            f"sink {name!r} has no digest: it sends every alert at once "
            f"(sinks with a digest: {others})",
        )
    return [name]


def report_lines(sink: SinkDigests) -> list[str]:
    """One line per digest tried, or why none was."""
    if sink.disabled:
        return [
            f"{sink.sink}: disabled by a 410 Gone: nothing sent; {sink.dead} delivery(ies) "
            f"it held are dead (cqc-monitor sinks enable {sink.sink}, once its receiver is fixed)"
        ]
    if not sink.results:
        return [f"{sink.sink}: nothing waiting"]
    lines = []
    for result in sink.results:
        what = f"{sink.sink}: digest {result.key} of {result.events} event(s)"
        if result.status == "sent":
            lines.append(f"{what} sent")
        elif result.status == "failed" and result.next_attempt_at is not None:
            retry = result.next_attempt_at.strftime("%Y-%m-%d %H:%M:%SZ")
            lines.append(f"{what} not sent: {result.error}; tried again from {retry}")
        else:
            lines.append(f"{what} given up (dead): {result.error}")
    return lines


def _failed(sink: SinkDigests) -> bool:
    return any(result.status != "sent" for result in sink.results)
