"""The HTTP server around a ``SimulatedCqc``: threaded, keep-alive, quiet."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from monitor.sim import wire
from monitor.sim.routes import API_PREFIX


class Handler(Protocol):
    """What the server asks of the simulator it serves (``SimulatedCqc``, which imports
    this module to serve itself)."""

    def handle(self, target: str, headers: Mapping[str, str]) -> wire.Response: ...


_MAX_HEADERS = 100
_MAX_LINE = 65536


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Handler) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads idling on keep-alive connections so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up (timeouts in tests) are expected, not news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "cqc-sim"
    sys_version = ""
    server: _Server

    raw_requestline: bytes  # set by handle_one_request before parse_request
    request_headers: dict[str, str]

    def parse_request(self) -> bool:
        """The request line and headers, without http.server's email-package header parser.

        That parser cost more than everything else the simulator does for a request; the
        benchmark needs the simulator to be cheap next to the client it measures.
        """
        self.command, self.request_version = "", self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request {self.requestline!r}")
            return False
        self.command, self.path, self.request_version = words
        headers = _read_headers(self.rfile)
        if headers is None:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return False
        self.request_headers = headers
        connection = headers.get("connection", "").lower()
        keep_alive = self.request_version == "HTTP/1.1" or connection == "keep-alive"
        self.close_connection = connection == "close" or not keep_alive
        return True

    def do_GET(self) -> None:
        response = self.server.sim.handle(self.path, self.request_headers)
        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        try:
            self._write(response)
        except OSError:  # the client timed out or went away meanwhile
            self.close_connection = True

    def _write(self, response: wire.Response) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            *(f"{name}: {value}" for name, value in response.headers),
        ]
        if self.close_connection or response.dribble:
            self.close_connection = True  # a client that gave up mid-answer will not read on
            lines.append("Connection: close")
        # Head and body in one write: two small writes meet delayed ACKs and stall 40 ms.
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not response.dribble:
            self.wfile.write(head + response.body)
        elif response.dribble_head:
            self._dribble(head + response.body, response.dribble)
        else:
            self.wfile.write(head)
            self._dribble(response.body, response.dribble)

    def _dribble(self, data: bytes, interval: float) -> None:
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            if self.server.stopping.wait(interval):
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass  # request logging off: the benchmark makes millions of requests


def _read_headers(stream: Any) -> dict[str, str] | None:
    """Header lines up to the blank line, names lower-cased; None when there are too many."""
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        line = stream.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return headers
        if len(line) > _MAX_LINE:
            return None
        name, _, value = line.decode("iso-8859-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return None


class RunningServer:
    """A simulator served in a background thread. Stop with ``stop()`` or use ``with``."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        host, port = server.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else str(host)
        self.port: int = int(port)
        self.web_base_url = f"http://{shown}:{self.port}"
        self.base_url = self.web_base_url + API_PREFIX

    def start(self) -> RunningServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end hanging responses and idle connections, free the port."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start(sim: Handler, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    return RunningServer(_Server((host, port), sim)).start()
