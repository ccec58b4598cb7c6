"""Progress of a cycle as ``cycle_progress`` log lines and the ``cycle_progress`` gauge.

For the worker, and for ``check`` without a terminal: a log line at most every
``[logging] progress_seconds`` (0: after every batch), with the figures a bar would show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


class ProgressGauge(Protocol):
    def cycle_progress(self, kind: str, done: int | None, total: int | None) -> None: ...


class LoggedProgress:
    def __init__(
        self,
        every_seconds: float,
        gauge: ProgressGauge | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every_seconds
        self.gauge = gauge
        self.monotonic = monotonic
        self.kind = ""
        self.total: int | None = None
        self._started = self._logged = 0.0

    def started(self, kind: str, total: int | None) -> None:
        self.kind, self.total = kind, total
        self._started = self._logged = self.monotonic()
        if self.gauge is not None:
            self.gauge.cycle_progress(kind, 0, total)

    def expect(self, total: int) -> None:
        self.total = max(total, self.total or 0)

    def advanced(self, done: int, errors: int) -> None:
        if self.total is not None and done > self.total:
            self.total = done  # the register grew, or a search brought leavers to fetch too
        if self.gauge is not None:
            self.gauge.cycle_progress(self.kind, done, self.total)
        now = self.monotonic()
        if now - self._logged < self.every:
            return
        self._logged = now
        log.info(
            "cycle_progress", **figures(self.kind, done, self.total, errors, now - self._started)
        )

    def finished(self) -> None:
        if self.gauge is not None:
            self.gauge.cycle_progress(self.kind, None, None)


def figures(kind: str, done: int, total: int | None, errors: int, elapsed: float) -> dict[str, Any]:
    """done / total, rate (locations a second), ETA in seconds (None when unknown), errors."""
    rate = done / elapsed if elapsed > 0 else None
    eta = None
    if total is not None and rate:
        eta = round(max(0, total - done) / rate, 1)
    return {
        "kind": kind,
        "done": done,
        "total": total,
        "rate": round(rate, 2) if rate is not None else None,
        "eta_s": eta,
        "errors": errors,
    }
