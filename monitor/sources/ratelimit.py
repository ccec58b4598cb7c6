"""Request rate limits: what the HTTP edge needs of one, and the process-local limiter.

On PostgreSQL the store's shared bucket (``monitor.store.rate_buckets``) implements
:class:`Limiter` too, so the configured rate is the whole deployment's; the bootstrap
chooses which one a source gets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    """A request rate shared by every thread that holds it."""

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        ...


class RateLimiter:
    """Token bucket for the threads of one process: at most ``burst`` requests at once, then
    ``rate_per_second`` on average.

    Implemented as a reservation scheduler (the "generic cell rate algorithm", equivalent to a
    token bucket): each caller reserves the next free slot under the lock and then sleeps
    outside it, so waiting threads never hold the lock and slots are handed out in arrival
    order. A rate of zero or less disables limiting.
    """

    def __init__(
        self,
        rate_per_second: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self._unlimited = rate_per_second <= 0
        self._interval = 0.0 if self._unlimited else 1.0 / rate_per_second
        # How far ahead of "now" the schedule may run before callers must wait.
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = clock()

    @property
    def rate_per_second(self) -> float:
        return 0.0 if self._unlimited else 1.0 / self._interval

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        if self._unlimited:
            return
        ready_at = self._reserve()
        while (remaining := ready_at - self._clock()) > 0:
            self._sleep(remaining)

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock()
            slot = max(self._next_slot, now)
            self._next_slot = slot + self._interval
            return slot - self._tolerance
