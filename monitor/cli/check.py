"""The commands that do the work: ``check`` (one review cycle now), ``run`` (the worker) and
``deliver`` (pending alerts now)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

from monitor.cli.common import NO_MIGRATE, Context, cqc_ids, pass_context
from monitor.errors import Interrupted, MonitorError
from monitor.runtime.signals import StopSignals

if TYPE_CHECKING:
    from monitor.services.progress import Progress
    from monitor.settings.model import Settings


@click.command()
@click.option("--full", is_flag=True, help="Re-fetch every watched location.")
@click.option(
    "--location",
    "locations",
    multiple=True,
    metavar="ID",
    callback=cqc_ids,
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
    from monitor.services.cycle_report import FAILURES_SHOWN
    from monitor.services.review import CycleAbandoned

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
            for location_id in report.unknown[:FAILURES_SHOWN]:
                click.echo(f"  {location_id}: not found at CQC", err=True)
            waiting = app.location_states()["unbaselined"]
            if waiting:
                click.echo(f"{waiting} watched locations have no baseline yet", err=True)
        except CycleAbandoned as exc:
            raise _interrupted(signals, str(exc)) from None
        finally:
            app.close()
    if signals.first is not None and not delivered:
        raise _interrupted(signals, "the cycle finished; its alerts wait for the next delivery")
    if locations and report.unknown:
        # Asked for by name: a mistyped id is the operator's to hear about, not a location gone.
        raise MonitorError(f"CQC has no location {', '.join(report.unknown)}")
    if report.locations and not report.fetched_ok:
        raise MonitorError("no location could be fetched; the first failures are listed above")


def _progress(settings: Settings) -> Progress:
    """A live bar on a terminal; elsewhere (a cron job, a log file) ``cycle_progress`` lines."""
    if sys.stderr.isatty():
        from monitor.cli.progress import BarProgress  # rich loads only for a terminal

        return BarProgress(sys.stderr)
    from monitor.runtime.progress import LoggedProgress

    return LoggedProgress(settings.logging.progress_seconds)


def _interrupted(signals: StopSignals, what: str) -> Interrupted:
    number = signals.first or signal.SIGTERM
    return Interrupted(number, f"interrupted by {signal.Signals(number).name}: {what}")


def _exit_now(number: int) -> None:
    # A second signal: no waiting for fetches in flight. Committed batches stand.
    os.write(2, b"error: interrupted again: exiting now\n")
    os._exit(128 + number)


@click.command()
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
    from monitor.runtime.worker import Worker, WorkerOptions  # APScheduler loads only here

    if grace is None:
        grace = ctx.settings().schedule.grace_seconds
    worker = Worker(ctx.app(), WorkerOptions(grace_seconds=grace, migrate=not no_migrate))
    if worker.run():
        raise MonitorError(worker.failure or "the worker stopped after an error")


@click.command()
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
