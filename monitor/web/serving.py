"""A threaded HTTP server on a daemon thread of its own: the health endpoints of ``run`` and
the standalone dashboard both serve this way."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import structlog

log = structlog.get_logger(__name__)
# A client that hangs up early (a closed tab, a probe that timed out): routine, not an error.
DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def log_disconnect(client: Any, error: BaseException) -> None:
    log.debug("client_disconnected", client=str(client), error=type(error).__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback to stderr, outside the JSON log.
        error = sys.exc_info()[1]
        if isinstance(error, DISCONNECTS):
            log_disconnect(client_address[0], error)
        else:
            log.error("request_failed", client=str(client_address[0]), exc_info=True)


class BackgroundServer:
    """``port`` 0 picks a free port (see ``.port``); ``stop`` waits for the thread."""

    def __init__(
        self, host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str
    ) -> None:
        self._server = _Server((host, port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=name,
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
