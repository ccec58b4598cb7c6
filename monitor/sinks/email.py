"""Email sink: one message per batch over SMTP (STARTTLS, implicit TLS or plain)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, ClassVar, Literal

import structlog
from pydantic import (
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.net.deadline import current, shutdown_socket, within
from monitor.sinks.base import Alert, Digest, SendOutcome, SinkConfig
from monitor.sinks.digest_email import render_digest_email
from monitor.sinks.email_render import render_email

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _address(value: str) -> str:
    """Accepts ``ops@example.org`` or ``Ops Team <ops@example.org>``."""
    address = parseaddr(value)[1]
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an email address: {value!r}")
    return value


class EmailConfig(SinkConfig):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["email"] = "email"
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = Field(default=None, validate_default=True)
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    ca_file: FilePath | None = None  # a private CA bundle; the system store otherwise

    @model_validator(mode="before")
    @classmethod
    def _ssl_port(cls, data: Any) -> Any:
        # Implicit TLS lives on 465; only an explicit port overrides that.
        if isinstance(data, dict) and data.get("security") == "ssl" and "port" not in data:
            return {**data, "port": 465}
        return data

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _check_to(cls, value: list[str]) -> list[str]:
        return [_address(item) for item in value]

    @field_validator("password")
    @classmethod
    def _credentials_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (info.data.get("username") is None) != (value is None):
            raise ValueError("username and password go together: set both or neither")
        return value


class EmailSink:
    """Sends every alert of one ``send`` call as ONE email; all share one outcome."""

    Config: ClassVar[type[SinkConfig]] = EmailConfig

    def __init__(self, config: EmailConfig, *, clock: Clock = _utc_now) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        if not alerts:
            return []
        ids = [alert.delivery_id for alert in alerts]
        events = [alert.event for alert in alerts]
        ok, error, permanent = self._deliver(
            lambda: render_email(
                events,
                delivery_ids=ids,
                sender=self.config.sender,
                to=self.config.to,
                date=self._clock(),
            ),
            alerts=len(ids),
        )
        return [SendOutcome(i, ok=ok, error=error, permanent=permanent) for i in ids]

    def send_digest(self, digest: Digest) -> SendOutcome:
        """The whole digest as one message."""
        cadence = self.config.cadence
        ok, error, permanent = self._deliver(
            lambda: render_digest_email(
                digest,
                cadence=cadence,
                sender=self.config.sender,
                to=self.config.to,
                date=self._clock(),
            ),
            digest=digest.key,
        )
        return SendOutcome(digest.digest_id, ok=ok, error=error, permanent=permanent)

    def _deliver(
        self, build: Callable[[], EmailMessage], **what: Any
    ) -> tuple[bool, str | None, bool]:
        """Build and submit one message within the deadline: (ok, error, permanent)."""
        with within(self.config.deadline_seconds) as deadline:
            try:
                message = build()
                refused = self._submit(message)
            except Exception as exc:  # a sink never raises: every failure becomes an outcome
                if deadline.expired:  # smtplib's error about the socket we shut says nothing
                    error, permanent = deadline.describe(), False
                else:
                    error, permanent = describe_failure(exc)
                log.warning("email.failed", sink=self.name, error=error, permanent=permanent)
                return False, error, permanent
        if refused:
            # Delivered to the others; a retry would duplicate it for them and still fail.
            error = "refused by " + _refusals(refused) + " (delivered to the other recipients)"
            log.warning("email.partly_refused", sink=self.name, error=error)
            return False, error, True
        log.info("email.sent", sink=self.name, message_id=message["Message-ID"], **what)
        return True, None, False

    def _submit(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        settings = self.config
        context = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = _WatchedSMTPSSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            smtp = _WatchedSMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username and settings.password:
                smtp.login(settings.username, settings.password.get_secret_value())
            return smtp.send_message(
                message,
                from_addr=parseaddr(settings.sender)[1],
                to_addrs=[parseaddr(item)[1] for item in settings.to],
            )


class _WatchedSMTP(smtplib.SMTP):
    """SMTP whose socket the current deadline shuts down, from before the server's greeting.

    The socket timeout bounds each read only: a server that keeps sending "250-" lines, or
    one byte at a time, would otherwise hold the send for as long as it likes.
    """

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        deadline = current()
        if deadline is not None:
            # STARTTLS replaces self.sock; shut whichever socket the client talks over now.
            deadline.on_expiry(lambda: shutdown_socket(self.sock or sock))
        return sock


class _WatchedSMTPSSL(_WatchedSMTP, smtplib.SMTP_SSL):
    pass


def describe_failure(exc: BaseException) -> tuple[str, bool]:
    """(error text, permanent?) for an SMTP failure. 5xx answers and refused credentials
    will not fix themselves; 4xx answers, timeouts and connection problems may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return "all recipients refused: " + _refusals(exc.recipients), permanent
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"authentication failed: {_response(exc.smtp_code, exc.smtp_error)}", True
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"server does not support what the config asks for: {exc}", True
    if isinstance(exc, smtplib.SMTPResponseException):
        return _response(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}", False
    if isinstance(exc, TimeoutError):
        return "timed out talking to the SMTP server", False
    if isinstance(exc, OSError):  # includes the other SMTPExceptions
        return f"{type(exc).__name__}: {exc}", False
    return f"unexpected {type(exc).__name__}: {exc}", False


def _response(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {text}".strip()


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_response(*answer)}" for address, answer in refused.items())
