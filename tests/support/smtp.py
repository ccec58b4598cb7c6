"""A real SMTP server (aiosmtpd) running in the test process, recording what it receives.

with SmtpServer() as server:                      # plain SMTP on 127.0.0.1
    ... send to server.host, server.port ...
    message = server.messages[0]                  # email.message.EmailMessage

SmtpServer(tls=cert_pair, credentials=("user", "pass"))   # STARTTLS + AUTH required
SmtpServer(tls=cert_pair, implicit_tls=True)               # TLS from the first byte (465)
SmtpServer(refuse={"nobody@example.org"})                  # 550 for those recipients
SmtpServer(stall=0.05)                                     # DATA answer never ends ("250-")
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.tls import CertPair


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    refuse: set[str]
    stall: float = 0.0  # seconds between "still working" lines of a DATA answer never finished
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        while self.stall and not server.transport.is_closing():
            # Continuation lines: each read gets one in time, the answer never ends.
            await server.push("250-still working")
            await asyncio.sleep(self.stall)
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())
        self.attempts: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.attempts.append(mechanism)
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login, auth_data.password) == self.expected
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """Plain SMTP by default; with ``tls`` it requires STARTTLS (or, with ``implicit_tls``,
    speaks TLS from the start), with ``credentials`` it requires AUTH over TLS, with
    ``refuse`` it rejects those recipients."""

    def __init__(
        self,
        *,
        tls: CertPair | None = None,
        credentials: tuple[str, str] | None = None,
        refuse: Iterable[str] = (),
        implicit_tls: bool = False,
        port: int | None = None,
        stall: float = 0.0,
    ) -> None:
        self.handler = _Handler(refuse={address.lower() for address in refuse}, stall=stall)
        self.authenticator = _Authenticator(*credentials) if credentials else None
        self.host = "127.0.0.1"
        self.port = port or unused_port()
        kwargs: dict[str, Any] = {}
        if tls is not None and implicit_tls:
            kwargs.update(ssl_context=tls.server_context())
        elif tls is not None:
            kwargs.update(tls_context=tls.server_context(), require_starttls=True)
        if self.authenticator is not None:
            kwargs.update(
                authenticator=self.authenticator, auth_required=True, auth_require_tls=True
            )
        self._controller = Controller(
            self.handler, hostname=self.host, port=self.port, server_hostname="localhost", **kwargs
        )

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.received]

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a multipart alert email (both must be there)."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, "an alert email has a text and an HTML part"
    return text.get_content(), html.get_content()


def unused_port() -> int:
    """A loopback port nobody listens on right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
