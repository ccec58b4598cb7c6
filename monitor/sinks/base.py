"""The contract between the dispatcher and a sink."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import Field

from monitor.config_model import ConfigModel
from monitor.domain.events import Event

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
    timeout_seconds: float = Field(default=10.0, gt=0, le=3600)


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
