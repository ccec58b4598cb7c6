"""Serving the dashboard: a database opened read-only, and a threaded HTTP server for it.

Both ``cqc-monitor dashboard`` (its own port) and ``run`` (beside ``/healthz``, through
``HealthServer``'s hand-off of other paths) run the WSGI app through ``handle``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote
from wsgiref.simple_server import ServerHandler

from sqlalchemy import Engine

from monitor.errors import StorageError
from monitor.store import migrate
from monitor.store.engine import database_errors, make_readonly_engine, make_session_factory
from monitor.web.app import create_app
from monitor.web.config import DashboardConfig
from monitor.web.security import WsgiApp
from monitor.web.serving import DISCONNECTS, BackgroundServer, log_disconnect


class Dashboard:
    """The WSGI app and the read-only engine it reads through."""

    def __init__(self, app: WsgiApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        run_wsgi(self.app, request)

    def close(self) -> None:
        self.engine.dispose()


def open_dashboard(
    database_url: str,
    config: DashboardConfig | None = None,
    *,
    now: Callable[[], datetime] | None = None,
) -> Dashboard:
    """The dashboard over ``database_url``; StorageError when it cannot be read as it is.

    Never migrates: a database behind this version's schema is refused, with what to do.
    """
    engine = make_readonly_engine(database_url)
    try:
        with database_errors("cannot read the database"):
            problem = migrate.schema_problem(engine)
    except StorageError:
        engine.dispose()
        raise
    if problem:
        engine.dispose()
        raise StorageError(f"the dashboard cannot show this database: {problem}")
    return Dashboard(create_app(make_session_factory(engine), config, now=now), engine)


class _Handler(ServerHandler):
    server_software = "cqc-monitor"

    def log_exception(self, exc_info: Any) -> None:
        pass  # the app logs its own failures; a client hanging up is not one

    def finish_response(self) -> None:
        try:
            super().finish_response()
        except DISCONNECTS as exc:
            log_disconnect(self.base_env.get("REMOTE_ADDR"), exc)
            raise  # wsgiref ends the request quietly


def run_wsgi(app: WsgiApp, request: BaseHTTPRequestHandler) -> None:
    """Answer one request parsed by ``http.server`` with a WSGI application."""
    streams: tuple[Any, Any] = (request.rfile, request.wfile)
    handler = _Handler(*streams, sys.stderr, _environ(request), multithread=True)
    handler.request_handler = request  # type: ignore[attr-defined]  # lets it log the request
    handler.run(app)


def _environ(request: BaseHTTPRequestHandler) -> dict[str, str]:
    path, _, query = request.path.partition("?")
    address: Any = request.server.server_address
    host, port = address[0], address[1]
    environ = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_NAME": str(host),
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": request.request_version,
        "REQUEST_METHOD": request.command,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, "iso-8859-1"),
        "QUERY_STRING": query,
        "REMOTE_ADDR": request.client_address[0],
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": request.headers.get("Content-Length", ""),
    }
    for name, value in request.headers.items():
        # A name with "_" would pass for its "-" twin (X_Forwarded_Prefix): dropped, as
        # proxies and servers such as nginx do.
        if "_" in name or name.lower() in ("content-type", "content-length"):
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class DashboardServer(BackgroundServer):
    """``cqc-monitor dashboard``: every path and method goes to the dashboard."""

    def __init__(self, host: str, port: int, dashboard: Dashboard) -> None:
        handler = type("Handler", (_Delegating,), {"dashboard": dashboard})
        super().__init__(host, port, handler, "dashboard")


class _Delegating(BaseHTTPRequestHandler):
    server_version = "cqc-monitor"
    sys_version = ""
    dashboard: Dashboard

    def __getattr__(self, name: str) -> Any:
        # Every method, known or not, reaches the app, which answers 405 to all but GET/HEAD.
        if name.startswith("do_"):
            return lambda: self.dashboard.handle(self)
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass
