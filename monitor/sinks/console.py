"""Console sink: a readable block per alert on stdout (or any text stream)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import ClassVar, Literal, TextIO

from monitor.sinks.base import Alert, SendOutcome, SinkConfig
from monitor.sinks.text import text_block


class ConsoleConfig(SinkConfig):
    type: Literal["console"] = "console"


class ConsoleSink:
    Config: ClassVar[type[SinkConfig]] = ConsoleConfig

    def __init__(self, config: ConsoleConfig, *, stream: TextIO | None = None) -> None:
        self.name = config.name
        self.config = config
        self._stream = stream

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        # Looked up per call, not at construction, so a redirected stdout is honoured.
        stream = self._stream or sys.stdout
        outcomes = []
        for alert in alerts:
            try:
                stream.write(_block(alert) + "\n\n")
                stream.flush()
            except Exception as exc:  # a sink never raises; a closed pipe is worth a retry
                error = f"{type(exc).__name__}: {exc}"
                outcomes.append(SendOutcome(alert.delivery_id, ok=False, error=error))
            else:
                outcomes.append(SendOutcome(alert.delivery_id, ok=True))
        return outcomes


def _block(alert: Alert) -> str:
    event = alert.event
    return f"== {event.type} · {event.detected_at}\n{text_block(event)}\nEvent id: {event.id}"
