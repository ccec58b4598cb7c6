"""Total deadlines for blocking network exchanges (SPEC §8: every wait is bounded).

A socket timeout bounds each read, not the exchange: a server that dribbles one byte every few
seconds never trips it and can hold a request for hours. A :class:`Deadline` bounds the whole
exchange (connect, request, answer) by shutting the socket down when it passes; the blocked
read wakes with an error, which the caller reports as a timeout because ``deadline.expired``.

    with within(60.0) as deadline:      # HTTP through a DeadlineAdapter is cut at 60 s
        session.get(url)

One watchdog thread serves every deadline of the process, so arming one per request is cheap.
Shared by the CQC client and the sinks, which must not import each other. The standard
library only: the settings use ``twice_the_timeout``; ``adapter`` binds deadlines to requests.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

# How a section's deadline defaults from its per-read timeout when it is not configured.
DEADLINE_PER_TIMEOUT = 2.0

Cut = Callable[[], None]


class Deadline:
    """The time limit of one exchange and what to cut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._cuts: list[Cut] = []
        self._state = "running"  # then "expired" (the watchdog fired) or "over" (in time)

    @property
    def expired(self) -> bool:
        return self._state == "expired"

    @property
    def over(self) -> bool:
        return self._state != "running"

    def describe(self) -> str:
        return f"no complete answer within the {self.seconds:g}s deadline"

    def on_expiry(self, cut: Cut) -> None:
        """Run ``cut`` when the deadline passes; at once when it already has."""
        with self._lock:
            if self._state == "running":
                self._cuts.append(cut)
                return
            if self._state == "over":
                return
        _quietly(cut)

    def expire(self) -> None:
        with self._lock:
            if self._state != "running":
                return
            self._state = "expired"
            cuts, self._cuts = self._cuts, []
        for cut in cuts:
            _quietly(cut)

    def end(self) -> None:
        """The exchange is over: nothing is cut from now on."""
        with self._lock:
            if self._state == "running":
                self._state = "over"
            self._cuts = []


class Watchdog:
    """Expires each armed deadline when its time comes, from one daemon thread."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._compact_at = 64

    def arm(self, deadline: Deadline) -> None:
        entry = (deadline.expires_at, next(self._order), deadline)
        with self._wake:
            heapq.heappush(self._heap, entry)
            if len(self._heap) >= self._compact_at:
                self._compact()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is entry:
                self._wake.notify()  # sooner than what the thread is waiting for

    def _compact(self) -> None:
        # Most exchanges end long before their deadline; drop them rather than let them pile up.
        self._heap = [entry for entry in self._heap if not entry[2].over]
        heapq.heapify(self._heap)
        self._compact_at = max(64, 2 * len(self._heap))

    def _run(self) -> None:
        while True:
            with self._wake:
                due = self._next_due()
            due.expire()

    def _next_due(self) -> Deadline:
        while True:
            if not self._heap:
                self._wake.wait()
                continue
            expires_at, _, deadline = self._heap[0]
            if deadline.over:
                heapq.heappop(self._heap)
                continue
            wait = expires_at - time.monotonic()
            if wait <= 0:
                heapq.heappop(self._heap)
                return deadline
            self._wake.wait(wait)


_WATCHDOG = Watchdog()  # its thread starts with the first deadline, not at import
_CURRENT: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[Deadline]:
    """A deadline for the exchange in this block; connections of a DeadlineAdapter obey it."""
    deadline = Deadline(seconds)
    _WATCHDOG.arm(deadline)
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)
        deadline.end()


def current() -> Deadline | None:
    """The deadline of the exchange this thread is in, if any."""
    return _CURRENT.get()


def shutdown_socket(sock: object) -> None:
    """Wake whatever blocks on ``sock``; its owner still closes it.

    ``socket.socket.shutdown``, not ``SSLSocket.shutdown``: the latter also drops the TLS state
    from under the thread that is reading, which then fails with a ValueError nobody expects.
    """
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _quietly(cut: Cut) -> None:
    with suppress(Exception):  # a cut that fails leaves the per-read timeout in charge
        cut()


def twice_the_timeout(section: Any, timeout_default: float) -> Any:
    """A config section whose absent ``deadline_seconds`` becomes twice its timeout."""
    if not isinstance(section, dict) or "deadline_seconds" in section:
        return section
    timeout = section.get("timeout_seconds", timeout_default)
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        return {**section, "deadline_seconds": DEADLINE_PER_TIMEOUT * timeout}
    return section  # the bad timeout is reported by validation
