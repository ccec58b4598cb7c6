"""Console sink: a readable block per alert on stdout (or any text stream)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import ClassVar, Literal, TextIO

from monitor.sinks.base import Alert, Digest, SendOutcome, SinkConfig
from monitor.sinks.digest_text import digest_body, digest_subject
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
        return [self._write(alert.delivery_id, _block(alert)) for alert in alerts]

    def send_digest(self, digest: Digest) -> SendOutcome:
        cadence = self.config.cadence
        block = f"== {digest_subject(digest, cadence)}\n{digest_body(digest, cadence)}"
        return self._write(digest.digest_id, block.rstrip("\n"))

    def _write(self, delivery_id: int, block: str) -> SendOutcome:
        # Looked up per call, not at construction, so a redirected stdout is honoured.
        stream = self._stream or sys.stdout
        try:
            stream.write(block + "\n\n")
            stream.flush()
        except Exception as exc:  # a sink never raises; a closed pipe is worth a retry
            return SendOutcome(delivery_id, ok=False, error=f"{type(exc).__name__}: {exc}")
        return SendOutcome(delivery_id, ok=True)


def _block(alert: Alert) -> str:
    event = alert.event
    return f"== {event.type} · {event.detected_at}\n{text_block(event)}\nEvent id: {event.id}"
