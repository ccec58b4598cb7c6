"""SIGTERM and SIGINT as a request to stop, for ``run`` and ``check`` alike."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class StopSignals:
    """While entered, SIGTERM and SIGINT set ``stop`` instead of ending the process at once,
    so work in hand ends at a safe point; ``on_second`` runs when another signal follows.

    Handlers can only be installed from the main thread; elsewhere (tests, the demo) nothing
    is installed and the caller sets ``stop`` itself.
    """

    def __init__(
        self, stop: threading.Event, on_second: Callable[[int], None] | None = None
    ) -> None:
        self.stop = stop
        self.on_second = on_second
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    @property
    def first(self) -> int | None:
        return self.received[0] if self.received else None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *_exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        # Only flags here: logging from a signal handler can deadlock on the handler's lock.
        self.received.append(number)
        if len(self.received) > 1 and self.on_second is not None:
            self.on_second(number)
        self.stop.set()
