"""The contract between the dispatcher and a sink."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import Field, ValidationInfo, field_validator, model_validator

from monitor.config_model import ConfigModel, did_you_mean
from monitor.cron import cadence, check_expression
from monitor.domain.events import EVENT_TYPES, Event, severity_rank
from monitor.errors import CronError
from monitor.net.deadline import twice_the_timeout

MinSeverity = Literal["info", "warning", "critical"]


class SinkConfig(ConfigModel):
    """Fields every ``[[sinks]]`` table has; each sink type extends it with its own."""

    name: str = Field(min_length=1)
    type: str
    events: list[str] | None = None  # None: every event type
    min_severity: MinSeverity = "info"
    locations: list[str] | None = None
    providers: list[str] | None = None
    searches: list[str] | None = None  # names of [[watch.search]] tables
    timeout_seconds: float = Field(default=10.0, gt=0, le=3600)  # each read of the socket
    # One whole send (a webhook POST, an SMTP conversation, an Apprise notification); when
    # absent, twice timeout_seconds.
    deadline_seconds: float = Field(default=20.0, gt=0, le=3600)
    # Digests (SPEC §6): with a crontab string (in [schedule] timezone), the events below
    # immediate_min_severity wait for its window and go as one message.
    digest: str | None = None
    immediate_min_severity: MinSeverity | None = Field(default=None, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _deadline(cls, data: Any) -> Any:
        return twice_the_timeout(data, cls.model_fields["timeout_seconds"].default)

    @field_validator("events")
    @classmethod
    def _event_types(cls, values: list[str] | None) -> list[str] | None:
        """A mistyped type would silence the sink for good: only real event types."""
        for value in values or []:
            if value not in EVENT_TYPES:
                hint = did_you_mean(value, EVENT_TYPES)
                known = "" if hint else f"; event types: {', '.join(EVENT_TYPES)}"
                raise ValueError(f"unknown event type {value!r}{hint}{known}")
        return values

    @field_validator("digest")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_expression(value)
            except CronError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("immediate_min_severity")
    @classmethod
    def _holds_something(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "digest" not in info.data or "min_severity" not in info.data:
            return value  # reported on its own key already
        if info.data["digest"] is None:
            if value is not None:
                raise ValueError("only means something with digest (a cron string)")
            return value
        floor, immediate = info.data["min_severity"], value or IMMEDIATE_DEFAULT
        if severity_rank(floor) >= severity_rank(immediate):
            raise ValueError(
                f"nothing would wait for the digest: every event this sink takes "
                f"(min_severity = {floor!r}) is at or above {immediate!r} and goes at once"
            )
        return immediate  # resolved: `config check` shows what applies

    @property
    def cadence(self) -> str | None:
        """``daily``, ``weekly``… as the digest's messages name it (None: no such word)."""
        return cadence(self.digest) if self.digest else None

    @property
    def immediate_severity(self) -> str:
        """Events at or above it go at once; below it they wait for the digest."""
        return self.immediate_min_severity or IMMEDIATE_DEFAULT

    def holds(self, event: Event) -> bool:
        """Whether the event waits for this sink's digest rather than going at once."""
        return self.digest is not None and severity_rank(event.severity) < severity_rank(
            self.immediate_severity
        )


IMMEDIATE_DEFAULT = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    """One pending delivery: an event bound for one sink."""

    delivery_id: int
    event: Event
    attempt: int = 1  # 1 for the first try


@dataclass(frozen=True, slots=True)
class SendOutcome:
    delivery_id: int
    ok: bool
    error: str | None = None
    permanent: bool = False  # never retry this delivery (marked dead)
    retry_after: float | None = None  # seconds the receiver asked us to wait
    disable_sink: bool = False  # the receiver said the endpoint is gone (HTTP 410)


@dataclass(frozen=True, slots=True)
class Digest:
    """The events a sink held for one window, to go as one message (or numbered parts)."""

    digest_id: int  # the row: the outcome names it
    key: str  # stable across retries: the webhook-id, the email's Message-ID
    window_start: datetime
    window_end: datetime
    events: tuple[Event, ...]  # in digest order: by location, the worst first
    timezone: str = "UTC"  # [schedule] timezone: how a message names the window
    attempt: int = 1


class Sink(Protocol):
    """Sends a batch of alerts, or a digest; returns the outcomes and never raises."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> SinkConfig: ...

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]: ...

    def send_digest(self, digest: Digest) -> SendOutcome:
        """One outcome for the whole digest (``delivery_id`` is ``digest.digest_id``)."""
        ...
