"""Where the demo's alerts land: ``.eml`` files and a local webhook receiver.

The email sink is the real one (rendering, grouping, outcomes) with only the SMTP hop replaced
by writing the message to a file, so the demo needs no mail server. The webhook receiver is a
small HTTP server on 127.0.0.1 that checks the Standard Webhooks signature like a real
consumer would, saves what it accepted as JSON, and can be told to fail for a while.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from monitor.sinks.email import EmailConfig, EmailSink

RETIRED_PATH = "/hooks/retired"


class OutputFolder:
    """Numbers the files of each subfolder so they list in delivery order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._numbers: dict[str, Iterator[int]] = {}
        self._lock = threading.Lock()

    def next_path(self, folder: str, stem: str, suffix: str) -> Path:
        with self._lock:
            number = next(self._numbers.setdefault(folder, itertools.count(1)))
        directory = self.root / folder
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{number:03d}-{_safe(stem)}{suffix}"

    def files(self) -> set[Path]:
        return {path for path in self.root.rglob("*") if path.is_file()}


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


class EmlEmailSink(EmailSink):
    """``EmailSink`` that writes each message to ``email/NNN-<sink>.eml`` instead of SMTP."""

    def __init__(
        self, config: EmailConfig, folder: OutputFolder, *, clock: Callable[[], datetime]
    ) -> None:
        super().__init__(config, clock=clock)
        self._folder = folder

    def _submit(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        path = self._folder.next_path("email", self.name, ".eml")
        path.write_bytes(message.as_bytes())
        return {}  # nobody refused: every recipient "received" it


class WebhookReceiver:
    """A webhook consumer on ``127.0.0.1``: verifies, saves ``webhook/NNN-<type>.json``."""

    def __init__(self, folder: OutputFolder, secret: str) -> None:
        self._folder = folder
        self._verifier = Webhook(secret)
        self._failure: tuple[int, int | None] | None = None
        self._lock = threading.Lock()
        self._server = _ReceiverServer(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/cqc"

    @property
    def retired_url(self) -> str:
        """An endpoint its owner took down: every call answers 410 Gone."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{RETIRED_PATH}"

    def fail_with(self, status: int, retry_after: int | None = None) -> None:
        """Answer every delivery with ``status`` (and ``Retry-After``) until ``recover``."""
        with self._lock:
            self._failure = (status, retry_after)

    def recover(self) -> None:
        with self._lock:
            self._failure = None

    def receive(
        self, headers: dict[str, str], body: bytes, path: str = ""
    ) -> tuple[int, dict[str, str]]:
        """The receiver's answer: (HTTP status, response headers)."""
        if path == RETIRED_PATH:
            return 410, {}
        with self._lock:
            failure = self._failure
        if failure is not None:
            status, retry_after = failure
            return status, {"Retry-After": str(retry_after)} if retry_after else {}
        try:
            payload = self._verifier.verify(body, headers)
        except (WebhookVerificationError, ValueError):
            return 401, {}  # what a consumer does with an unsigned or forged call
        self._save(headers, payload)
        return 200, {}

    def _save(self, headers: dict[str, str], payload: dict[str, Any]) -> None:
        data = payload.get("data", {})
        # A provider's own events name the provider, with ``location`` null.
        about = data.get("location") or data.get("provider") or {}
        stem = f"{payload.get('type', 'event')}-{about.get('id', 'unknown')}"
        record = {
            "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "signature": "verified",
            "headers": {k: v for k, v in headers.items() if k.lower().startswith("webhook-")},
            "body": payload,
        }
        path = self._folder.next_path("webhook", stem, ".json")
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: WebhookReceiver) -> None:
        super().__init__(address, _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    server: _ReceiverServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, extra = self.server.receiver.receive(dict(self.headers.items()), body, self.path)
        answer = json.dumps({"ok": True} if status == 200 else {"error": HTTPStatus(status).phrase})
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode("ascii"))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints its own account of each delivery
