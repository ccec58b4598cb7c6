"""``cqc-monitor dashboard``: the read-only web dashboard on its own port, and its helpers.

Against the configured database, or any other with ``--database`` (an auditor's copy of a
SQLite file needs no configuration file at all). It opens the database read-only and never
migrates it.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol

import click

from monitor import resume_collection
from monitor.runtime.signals import StopSignals
from monitor.settings.files import resolve_config_path

if TYPE_CHECKING:
    from monitor.settings.model import Settings
    from monitor.settings.sections import ServerSettings
    from monitor.web.config import DashboardConfig

DEFAULT_HOST = "127.0.0.1"


class _Configured(Protocol):
    config_path: str | None

    def settings(self) -> Settings: ...


@click.group("dashboard", invoke_without_command=True)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface; put authentication on first).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port (default: [server] port, 9108).",
)
@click.option(
    "--database",
    metavar="URL",
    help="Browse this database instead of the configured one, e.g. sqlite:///copy.db "
    "(read-only; without a config file, no authentication).",
)
@click.pass_context
def dashboard_command(
    ctx: click.Context, host: str, port: int | None, database: str | None
) -> None:
    """Serve the read-only web dashboard until SIGTERM or Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.web.serve import DashboardServer, open_dashboard  # Flask loads only here

    server_settings, url, config = _resolve(ctx.obj, database)
    dashboard = open_dashboard(url, config)
    try:
        server = DashboardServer(host, server_settings.port if port is None else port, dashboard)
    except OSError as exc:
        dashboard.close()
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(f"cqc-monitor dashboard: http://{_shown(host)}:{server.port}{config.path_prefix}/")
    click.echo("read-only; Ctrl-C stops it", err=True)
    resume_collection()  # started: the collector is back for as long as it serves
    _serve(server)
    dashboard.close()


def _resolve(
    context: _Configured, database: str | None
) -> tuple[ServerSettings, str, DashboardConfig]:
    """[server] settings, database URL and dashboard configuration for this invocation."""
    from monitor.bootstrap import dashboard_config
    from monitor.logs import configure_logging
    from monitor.settings.sections import ServerSettings
    from monitor.web.config import DashboardConfig

    explicit = context.config_path or os.environ.get("MONITOR_CONFIG")
    if database and not explicit and not resolve_config_path(None).exists():
        configure_logging("warning", "auto")
        return ServerSettings(), database, DashboardConfig()
    if not database and not explicit and not resolve_config_path(None).exists():
        raise click.UsageError(
            f"no configuration file at {resolve_config_path(None)}: give --database URL "
            "(e.g. sqlite:///data/monitor.db) or --config PATH"
        )
    settings = context.settings()
    return settings.server, database or settings.database.url, dashboard_config(settings)


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else host


def _serve(server: Any) -> None:
    stop = threading.Event()
    with StopSignals(stop):
        server.start()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            server.stop()


@dashboard_command.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input.")
def hash_password(from_stdin: bool) -> None:
    """Print a password hash for [server] dashboard_users (the password is never stored)."""
    from werkzeug.security import generate_password_hash

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.UsageError("use a password of at least 8 characters")
    click.echo(generate_password_hash(password))
