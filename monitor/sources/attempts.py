"""What each HTTP attempt to CQC came to, counted for ``/metrics`` without Prometheus here.

The HTTP getter calls a listener with the outcome of every attempt (a retried request is
several); :class:`AttemptTally` keeps the counts per source, thread-safe, and the runtime's
metrics read them when Prometheus scrapes, as they read the database's figures.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from monitor.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ResponseTooLargeError,
    TransientSourceError,
)

AttemptListener = Callable[[str], None]

# Every outcome an attempt can have; "ok" and "not_found" are answers, the rest errors.
OUTCOMES = (
    "ok",  # 2xx
    "not_found",  # 404 or 410: a location that is gone (confirmed by a second request)
    "rate_limited",  # 429, or 503 with Retry-After: retried after the wait asked for
    "server_error",  # other 5xx: retried
    "network",  # a timeout, a refused or dropped connection, a deadline passed: retried
    "refused",  # 401 or 403: the subscription key was refused
    "client_error",  # another 4xx, or a redirect not followed: never retried
    "too_large",  # a body above max_response_bytes
)
ANSWERS = ("ok", "not_found")


def attempt_outcome(error: BaseException | None) -> str:
    """The outcome of one attempt, from what it raised (None: a 2xx answer)."""
    if error is None:
        return "ok"
    status = getattr(error, "http_status", None)
    for kind, outcome in _BY_TYPE:
        if isinstance(error, kind):
            return outcome
    if status is not None:
        return "server_error" if status >= 500 else "client_error"
    return "network" if isinstance(error, TransientSourceError) else "client_error"


_BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (ResponseTooLargeError, "too_large"),
    (RateLimitedError, "rate_limited"),
    (NotFoundError, "not_found"),
    (AuthenticationError, "refused"),
)


class AttemptTally:
    """Attempts by (source, outcome) since the process started; safe to share by threads."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def listener(self, source: str) -> AttemptListener:
        """What the getter of ``source`` ("api", "web") calls after each attempt."""
        return lambda outcome: self.record(source, outcome)

    def record(self, source: str, outcome: str) -> None:
        with self._lock:
            self._counts[(source, outcome)] += 1

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)
