"""``cqc-monitor healthcheck``: ask the running worker's ``/healthz`` on ``[server] port``.

For container health checks (the Dockerfile's HEALTHCHECK) and other probes that run a command.
It reads the configuration only for where the worker listens: it opens no database and sends
nothing anywhere else. Exit 0 when the worker answers healthy, 1 with one line saying why
otherwise; never 2, which Docker reserves, not even for a broken configuration.

Run every few seconds by container engines, it loads neither the settings model nor the
database layer: the file is read with the standard library (``settings.files``) and the two
keys it needs are checked here, with the settings model's wording for the same mistakes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple, Protocol

import click

from monitor.errors import ConfigError, MonitorError, combined
from monitor.settings.files import read_config

PATH = "/healthz"
# Addresses that mean "every interface": the worker is then reachable on loopback.
_ANY = ("", "0.0.0.0", "::")
# The [server] defaults of the settings model (settings.sections.ServerSettings).
DEFAULT_HOST, DEFAULT_PORT = "0.0.0.0", 9108
_MAX_PORT = 65535
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What the settings model reads as a whole number from a string: digits, a sign, underscores.
_INTEGER = re.compile(r"\s*[+-]?[0-9]+(?:_[0-9]+)*\s*")


class _Configured(Protocol):
    config_path: str | None


class _Address(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


class Server(NamedTuple):
    host: str
    port: int


def server_address(config_path: str | None) -> Server:
    """``[server] host`` and ``port`` from the configuration file, checked as the settings
    model checks them; ConfigError naming the key otherwise. ``${VARIABLES}`` anywhere in the
    file must be set, as for every other command."""
    _, data = read_config(config_path)
    section = data.get("server", {})
    if not isinstance(section, dict):
        raise ConfigError(
            "server", "Input should be a valid dictionary or instance of ServerSettings"
        )
    problems: list[ConfigError] = []
    host, port = DEFAULT_HOST, DEFAULT_PORT
    try:
        host = _host(section.get("host", DEFAULT_HOST))
    except ValueError as exc:
        problems.append(ConfigError("server.host", str(exc)))
    try:
        port = _port(section.get("port", DEFAULT_PORT))
    except ValueError as exc:
        problems.append(ConfigError("server.port", str(exc)))
    if problems:
        raise combined(problems)
    return Server(host, port)


def _host(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    if _CONTROL.search(value):
        raise ValueError("holds a control character (newline, tab...); use one line of text")
    return value


def _port(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    number = _whole_number(value)
    if number < 0:
        raise ValueError("Input should be greater than or equal to 0")
    if number > _MAX_PORT:
        raise ValueError(f"Input should be less than or equal to {_MAX_PORT}")
    return number


def _whole_number(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("holds a control character (newline, tab...); use one line of text")
        if not _INTEGER.fullmatch(value):
            raise ValueError(
                "Input should be a valid integer, unable to parse string as an integer"
            )
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("Input should be a finite number")
        if not value.is_integer():
            raise ValueError("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    raise ValueError("Input should be a valid integer")


def health_url(server: _Address) -> tuple[str, int, str]:
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
    import http.client  # loaded by the probe only, not by every --help that lists it

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
    from http.client import HTTPException

    try:
        server = server_address(context.config_path)
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
    except HTTPException as exc:
        raise MonitorError(f"unhealthy: {url}: not an HTTP answer ({exc!r})") from None
    if not healthy:
        raise MonitorError(f"unhealthy: {url} {said}")
    click.echo(f"healthy: {url} {said}")
