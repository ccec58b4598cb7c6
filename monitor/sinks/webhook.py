"""Webhook sink: one signed HTTP POST per alert (Standard Webhooks, www.standardwebhooks.com),
and one per digest (or per numbered part of one beyond ``digest_max_bytes``)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

import structlog
from pydantic import Field, SecretStr, field_validator

from monitor.config_model import header_name, header_value
from monitor.net.deadline import Deadline, within
from monitor.net.retry_after import retry_after_seconds
from monitor.sinks.base import Alert, Digest, SendOutcome, SinkConfig
from monitor.sinks.webhook_digest import digest_parts

# The configuration is read by every command that loads the settings; the HTTP client and
# the signer only by those that build the sink to send.
if TYPE_CHECKING:
    import requests

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
USER_AGENT = "cqc-monitor"
_URL_PATH = re.compile(r"url: \S+")
# Set by the sink itself; a configured header must not override the signature.
_RESERVED_HEADERS = {
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookConfig(SinkConfig):
    type: Literal["webhook"] = "webhook"
    url: str
    secret: SecretStr
    headers: dict[str, str] = Field(default_factory=dict)
    # A digest larger than this goes as numbered parts, each a POST of at most this size.
    digest_max_bytes: int = Field(default=256 * 1024, ge=4096, le=64 * 1024 * 1024)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        secret_key(value.get_secret_value())  # the message never repeats the secret
        return value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, str]) -> dict[str, str]:
        clash = sorted(name for name in value if name.lower() in _RESERVED_HEADERS)
        if clash:
            raise ValueError(f"these headers are set by the sink itself: {', '.join(clash)}")
        for name, item in value.items():
            header_value(item, header_name(name))
        return value


def secret_key(secret: str) -> bytes:
    """The HMAC key inside ``whsec_<base64>``; ValueError when the secret is malformed."""
    if not secret.startswith("whsec_"):
        raise ValueError("must start with 'whsec_' followed by base64 (Standard Webhooks)")
    payload = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except binascii.Error:
        raise ValueError("the part after 'whsec_' is not valid base64") from None
    if not key:
        raise ValueError("the part after 'whsec_' is empty")
    return key


class WebhookSink:
    """POSTs each alert on its own; the event id is the ``webhook-id``, stable across retries."""

    Config: ClassVar[type[SinkConfig]] = WebhookConfig

    def __init__(
        self,
        config: WebhookConfig,
        *,
        session: requests.Session | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        import requests
        from standardwebhooks import Webhook

        from monitor.net.adapter import DeadlineAdapter

        self.name = config.name
        self.config = config
        self._signer = Webhook(secret_key(config.secret.get_secret_value()))
        self._session = session or requests.Session()
        # A receiver that dribbles its answer is cut off at the deadline, not at the next byte.
        for scheme in ("http://", "https://"):
            self._session.mount(scheme, DeadlineAdapter(max_retries=0))
        self._clock = clock

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        outcomes: list[SendOutcome] = []
        for alert in alerts:
            if outcomes and outcomes[-1].disable_sink:
                # The endpoint said it is gone: nothing more is sent to it.
                outcomes.append(replace(outcomes[-1], delivery_id=alert.delivery_id))
                continue
            outcomes.append(self._send_one(alert))
        return outcomes

    def send_digest(self, digest: Digest) -> SendOutcome:
        """Each part in turn, each signed with its own stable id; the first part that fails
        fails the digest, which is retried whole (the receiver drops the parts it has by id)."""
        parts = digest_parts(digest, self.config.digest_max_bytes)
        for number, part in enumerate(parts, start=1):
            outcome = self._exchange(digest.digest_id, part.webhook_id, part.body)
            if not outcome.ok:
                if len(parts) > 1:
                    outcome = replace(
                        outcome, error=f"part {number} of {len(parts)}: {outcome.error}"
                    )
                return outcome
        return SendOutcome(digest.digest_id, ok=True)

    def _send_one(self, alert: Alert) -> SendOutcome:
        event = alert.event
        payload: dict[str, Any] = {
            "type": event.type,
            "timestamp": event.detected_at,
            "data": event.to_dict(),
        }
        if event.test:  # a receiver can drop samples without parsing the event
            payload["test"] = True
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return self._exchange(alert.delivery_id, event.id, body)

    def _exchange(self, delivery_id: int, webhook_id: str, body: str) -> SendOutcome:
        """POST one signed body within the deadline and judge the answer."""
        sent = _Sent(delivery_id, webhook_id)
        with within(self.config.deadline_seconds) as deadline:
            try:
                with self._post(webhook_id, body) as response:
                    if deadline.expired:  # headers cut short can still parse as complete
                        return self._failed(sent, deadline.describe(), permanent=False)
                    return self._judge(sent, response)
            except Exception as exc:  # a sink never raises: every failure becomes an outcome
                return self._failed(sent, self._error(exc, deadline), permanent=False)

    def _error(self, exc: Exception, deadline: Deadline) -> str:
        if deadline.expired:  # whatever the library raised once its socket was shut
            return deadline.describe()
        from requests import Timeout

        if isinstance(exc, Timeout):
            return f"timed out after {self.config.timeout_seconds:g}s"
        return f"{type(exc).__name__}: {_hide_path(str(exc))}"

    def _post(self, webhook_id: str, body: str) -> requests.Response:
        sent_at = self._clock().replace(microsecond=0)
        headers = {
            **self.config.headers,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self._signer.sign(webhook_id, sent_at, body),
        }
        timeout = self.config.timeout_seconds
        return self._session.post(
            self.config.url,
            data=body.encode("utf-8"),
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,  # a redirect could carry the signed alert anywhere
            stream=True,  # the answer's body is not needed: read at most a snippet
        )

    def _judge(self, sent: _Sent, response: requests.Response) -> SendOutcome:
        status = response.status_code
        if 200 <= status < 300:
            log.info("webhook.sent", sink=self.name, webhook_id=sent.webhook_id, status=status)
            return SendOutcome(sent.delivery_id, ok=True)
        error = _describe(response)
        if status == 410:
            return self._failed(sent, error + " (endpoint gone)", permanent=True, disable=True)
        if status in (408, 429) or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
            return self._failed(sent, error, permanent=False, retry_after=retry_after)
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            error += f" (redirect to {target} not followed: update the sink url)"
        return self._failed(sent, error, permanent=True)

    def _failed(
        self,
        sent: _Sent,
        error: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        disable: bool = False,
    ) -> SendOutcome:
        log.warning(
            "webhook.failed",
            sink=self.name,
            webhook_id=sent.webhook_id,
            error=error,
            permanent=permanent,
        )
        return SendOutcome(
            sent.delivery_id,
            ok=False,
            error=error,
            permanent=permanent,
            retry_after=retry_after,
            disable_sink=disable,
        )


@dataclass(frozen=True, slots=True)
class _Sent:
    """What one POST carries: the outcome's id, and the ``webhook-id`` a receiver sees."""

    delivery_id: int
    webhook_id: str


def _describe(response: requests.Response) -> str:
    text = f"HTTP {response.status_code} {response.reason or ''}".strip()
    try:
        snippet = response.raw.read(200, decode_content=True)
    except Exception:  # the status line is what matters; a broken body adds nothing
        snippet = b""
    detail = " ".join(snippet.decode("utf-8", "replace").split())
    return f"{text}: {detail}" if detail else text


def _hide_path(text: str) -> str:
    # requests names the URL path in its errors; paths often carry tokens.
    return _URL_PATH.sub("url: [path hidden]", text)
