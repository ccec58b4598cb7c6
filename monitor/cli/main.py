"""The ``cqc-monitor`` command line (SPEC §4): the group, its one list of commands, and the
only place errors become exit codes."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from monitor import defer_collection
from monitor.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Context
from monitor.errors import ConfigError, Interrupted, MonitorError, StorageError

# Every command: its name, and the module and attribute that define it. A command group is
# one module of its own; adding one is a line here. Each module is imported only when its
# command runs (or ``--help`` lists it), so a command pays only for what it uses.
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": ("monitor.cli.audit", "alerts"),
    "changes": ("monitor.cli.audit", "changes"),
    "check": ("monitor.cli.check", "check"),
    "config": ("monitor.cli.config", "config"),
    "dashboard": ("monitor.cli.dashboard", "dashboard_command"),
    "db": ("monitor.cli.db", "db"),
    "deliver": ("monitor.cli.check", "deliver"),
    "digest": ("monitor.cli.digest", "digest"),
    "demo": ("monitor.demo.command", "demo_command"),
    "healthcheck": ("monitor.cli.healthcheck", "healthcheck_command"),
    "history": ("monitor.cli.audit", "history"),
    "run": ("monitor.cli.check", "run"),
    "sinks": ("monitor.cli.sinks", "sinks"),
    "source": ("monitor.cli.source", "source"),
    "status": ("monitor.cli.status", "status"),
}


class _Commands(click.Group):
    """The command group: each command is imported from ``COMMANDS`` when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


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


@contextmanager
def _store_errors() -> Iterator[None]:
    """The store's translation of database errors, for whatever escapes a command. Only a
    command that loaded SQLAlchemy can raise one: the others do not load it for this."""
    try:
        yield
    except Exception:
        if "sqlalchemy" not in sys.modules:
            raise
        from monitor.store.engine import database_errors

        with database_errors():
            raise


def main(argv: list[str] | None = None) -> None:
    context = Context()

    def fail(message: str, code: int) -> NoReturn:
        click.echo(f"error: {context.redact(message)}", err=True)
        sys.exit(code)

    try:
        # Whatever the database says on the way out, in the store's words: one line, exit 1.
        # Outside standalone mode click returns (not raises) the code of ``click.exceptions.Exit``.
        with _store_errors():
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


def console() -> NoReturn:
    """The ``cqc-monitor`` program (the console script, ``python -m monitor``): ``main``, then
    out at once.

    Python's own exit tears every loaded module down, one object at a time: a fifth of a
    second after a ``check`` on a 2-core machine, a quarter of its time. By then the command
    has closed what it opened, so the logs and the standard streams are flushed and the
    process ends. A thread still running, a tracer or profiler (coverage, cProfile), an exit
    status that is not a number, or a stream that cannot be flushed (a closed pipe) take
    Python's usual way out instead, with its usual result. ``main`` itself exits the usual
    way, for callers in the same process.

    The garbage collector waits while the command starts up (``defer_collection``).
    """
    defer_collection()
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:  # main always exits; this keeps the contract if that ever changes
        code = EXIT_OK
    if not isinstance(code, int) or not _alone():
        sys.exit(code)
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(code)


def _alone() -> bool:
    """Nothing but this thread (and daemon threads) left, and nobody tracing the process."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    traced = sys.gettrace() is not None or sys.getprofile() is not None
    return not traced and all(thread.daemon for thread in others)
