"""``cqc-monitor healthcheck``: ask the running worker's ``/healthz`` on ``[server] port``.

For container health checks (the Dockerfile's HEALTHCHECK) and other probes that run a command.
It reads the configuration only for where the worker listens: it opens no database and sends
nothing anywhere else. Exit 0 when the worker answers healthy, 1 with one line saying why
otherwise; never 2, which Docker reserves, not even for a broken configuration.
"""

from __future__ import annotations

import http.client
import json
from typing import Protocol

import click

from monitor.errors import ConfigError, MonitorError
from monitor.settings.model import Settings
from monitor.settings.sections import ServerSettings

PATH = "/healthz"
# Addresses that mean "every interface": the worker is then reachable on loopback.
_ANY = ("", "0.0.0.0", "::")


class _Configured(Protocol):
    def settings(self) -> Settings: ...


def health_url(server: ServerSettings) -> tuple[str, int, str]:
    """(host, port, URL) of the worker's ``/healthz`` as seen from the same machine."""
    host = "127.0.0.1" if server.host in _ANY else server.host
    shown = f"[{host}]" if ":" in host else host
    return host, server.port, f"http://{shown}:{server.port}{PATH}"


def verdict(status: int, body: bytes) -> tuple[bool, str]:
    """(healthy?, what the answer said) from ``/healthz``'s status code and JSON body."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        said = str(data.get("status", ""))
        extra = ", ".join(f"{k}={v}" for k, v in data.items() if k != "status")
        text = f"{said} ({extra})" if extra else said
    else:
        text = body.decode("utf-8", "replace")
    text = " ".join(text.split())[:200] or "no body"
    return status == 200, text if status == 200 else f"answered {status}: {text}"


def ask(host: str, port: int, timeout: float) -> tuple[int, bytes]:
    # http.client rather than urllib or requests: no proxy from the environment can stand
    # between the probe and loopback, and no redirect is followed.
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", PATH, headers={"User-Agent": "cqc-monitor healthcheck"})
        response = connection.getresponse()
        return response.status, response.read(4096)
    finally:
        connection.close()


@click.command("healthcheck")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=60),
    default=3.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the connection and for the answer.",
)
@click.pass_obj
def healthcheck_command(context: _Configured, timeout: float) -> None:
    """Ask the worker's /healthz ([server] port): exit 0 if healthy, else 1 and why.

    Meant for container health checks: it reads the configuration for the port only, and
    opens no database. A worker listening on every interface is asked on 127.0.0.1.
    """
    try:
        server = context.settings().server
    except ConfigError as exc:  # exit 1, not 2: Docker reserves 2
        problems = " ".join(str(exc).split())  # one line, as Docker's health log shows it
        raise MonitorError(f"unhealthy: invalid configuration: {problems}") from None
    if server.port == 0:
        raise MonitorError("unhealthy: [server] port is 0 (any free port): nothing to ask")
    host, port, url = health_url(server)
    try:
        healthy, said = verdict(*ask(host, port, timeout))
    except TimeoutError:
        raise MonitorError(f"unhealthy: {url}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise MonitorError(f"unhealthy: {url}: {exc.strerror or exc}") from None
    except http.client.HTTPException as exc:
        raise MonitorError(f"unhealthy: {url}: not an HTTP answer ({exc!r})") from None
    if not healthy:
        raise MonitorError(f"unhealthy: {url} {said}")
    click.echo(f"healthy: {url} {said}")
