"""One HTTP port for orchestrators and Prometheus while ``run`` is up (SPEC §8).

``/healthz``  the scheduler loop is alive (a scheduler job stamps a heartbeat)
``/readyz``   the database answers, its schema is at the migrations' head, and (SQLite) the
              configured path still leads to the file the process opened
``/metrics``  Prometheus text format
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Engine

from monitor.errors import StorageError
from monitor.store import migrate
from monitor.store.engine import database_errors, database_file
from monitor.web.serving import BackgroundServer

Probe = Callable[[], tuple[bool, dict[str, Any]]]
# Answers a request for any other path (the dashboard, when it is on).
Delegate = Callable[[BaseHTTPRequestHandler], None]


class Heartbeat:
    """The scheduler loop's pulse; stale when no beat came for ``stale_after`` seconds."""

    def __init__(
        self, stale_after: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stale_after = stale_after
        self.clock = clock
        self._last = clock()

    def beat(self) -> None:
        self._last = self.clock()

    def probe(self) -> tuple[bool, dict[str, Any]]:
        age = round(self.clock() - self._last, 1)
        if age > self.stale_after:
            return False, {"status": "stalled", "last_beat_seconds_ago": age}
        return True, {"status": "ok", "last_beat_seconds_ago": age}


class DatabaseProbe:
    """``SELECT 1`` and the schema revision; the head revision is read once from disk."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._head: str | None = None

    def probe(self) -> tuple[bool, dict[str, Any]]:
        # Before connecting: a connection to a deleted path would create an empty file there.
        opened = database_file(self.engine)
        problem = opened.problem() if opened else None
        if problem:
            return False, {"status": "unavailable", "reason": f"database unreachable: {problem}"}
        try:
            with database_errors("database unreachable"):
                current = migrate.current_revision(self.engine)
        except StorageError as exc:
            return False, {"status": "unavailable", "reason": str(exc)}
        if self._head is None:
            self._head = migrate.head_revision(self.engine)
        if current != self._head:
            reason = f"database schema at {current}, expected {self._head}: run `db upgrade`"
            return False, {"status": "unavailable", "reason": reason}
        return True, {"status": "ready", "revision": current}


class HealthServer(BackgroundServer):
    """``/healthz``, ``/readyz``, ``/metrics``, and the dashboard's paths when it is on."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        alive: Probe,
        ready: Probe,
        metrics: Callable[[], bytes],
        other: Delegate | None = None,
    ) -> None:
        self.other = other
        self.routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/healthz": lambda: _json(alive),
            "/readyz": lambda: _json(ready),
            "/metrics": lambda: (200, CONTENT_TYPE_LATEST, metrics()),
        }
        super().__init__(host, port, _handler(self), "health")

    def delegate_for(self, path: str) -> Delegate | None:
        """Who answers ``path`` instead: nobody for the health paths, or without a delegate."""
        return None if path.split("?", 1)[0] in self.routes else self.other

    def answer(self, path: str) -> tuple[int, str, bytes]:
        route = self.routes.get(path.split("?", 1)[0])
        if route is None:
            return 404, "application/json", b'{"status": "not found"}'
        try:
            return route()
        except Exception as exc:  # a broken probe is an unhealthy answer, not a dropped request
            body = json.dumps({"status": "error", "reason": str(exc)[:300]}).encode()
            return 500, "application/json", body


def _json(probe: Probe) -> tuple[int, str, bytes]:
    ok, body = probe()
    return (200 if ok else 503), "application/json", json.dumps(body).encode()


def _handler(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "cqc-monitor"
        sys_version = ""

        def do_GET(self) -> None:
            other = server.delegate_for(self.path)
            if other is not None:
                other(self)
                return
            status, content_type, body = server.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def __getattr__(self, name: str) -> Any:
            # Other methods on other paths go to the delegate too (it answers 405 itself).
            other = server.delegate_for(self.path) if name.startswith("do_") else None
            if other is None:
                raise AttributeError(name)
            return lambda: other(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # probes every few seconds would drown the cycle summaries

    return Handler
