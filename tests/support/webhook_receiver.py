"""A real HTTP receiver on 127.0.0.1 that records requests and answers as scripted.

    with WebhookReceiver() as receiver:
        receiver.respond(429, headers={"Retry-After": "7"})   # next answer (then 200s)
        receiver.respond(200, dribble=0.05)    # an answer that trickles in and never ends
        ... POST to receiver.url ...
        request = receiver.requests[0]                        # method, path, headers, body

``verify_signature`` checks a Standard Webhooks signature written out from the spec
(https://www.standardwebhooks.com), independent of any library the sender uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to hang before answering
    dribble: float = 0.0  # seconds between the bytes of an answer that never completes


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def respond(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        delay: float = 0.0,
        dribble: float = 0.0,
    ) -> None:
        """Queue one scripted answer; once the queue is empty every request gets 200.

        With ``dribble`` the status line and then an endless header arrive one byte at a
        time, each in good time for a read timeout, until the client hangs up.
        """
        with self._lock:
            self._replies.append(Reply(status, headers or {}, body, delay, dribble))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.requests)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._replies.popleft() if self._replies else Reply()

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()  # releases handlers that are deliberately hanging
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _make_handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            reply = receiver._next_reply(request)
            if reply.delay and receiver._closing.wait(reply.delay):
                return
            if reply.dribble:
                self._dribble(reply)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _dribble(self, reply: Reply) -> None:
            self.close_connection = True
            head = f"HTTP/1.1 {reply.status} OK\r\nX-Wait: ".encode()
            bytes_of_head = (head[i : i + 1] for i in range(len(head)))
            endless = itertools.chain(bytes_of_head, itertools.repeat(b"."))
            for byte in endless:
                try:
                    self.wfile.write(byte)
                except OSError:
                    return  # the client gave up
                if receiver._closing.wait(reply.dribble):
                    return

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


def verify_signature(
    secret: str, headers: dict[str, str], body: bytes, *, tolerance: float = 300
) -> bool:
    """True when one ``v1`` signature in ``webhook-signature`` matches ``id.timestamp.body``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False
