"""The contract between the dispatcher and a sink."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field, model_validator

from monitor.config_model import ConfigModel
from monitor.domain.events import Event
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

    @model_validator(mode="before")
    @classmethod
    def _deadline(cls, data: Any) -> Any:
        return twice_the_timeout(data, cls.model_fields["timeout_seconds"].default)


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


class Sink(Protocol):
    """Sends a batch of alerts; returns one outcome per alert and never raises."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> SinkConfig: ...

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]: ...
