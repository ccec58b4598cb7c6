"""Fault injection: rules that make the simulator slow, fail or lie.

Paths in rules are matched by prefix against the request path with the API base stripped
(``/locations/1-123``, ``/changes/location``); website requests keep their own path
(``/location/1-123/reports``), so ``/locations`` never matches them. A ``location_id`` rule
matches the location endpoint and the website page of that location.

Each request consumes at most one rule (the oldest matching one with uses left); latency is
separate and adds up. All methods are safe to call while the server is answering requests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

Action = Literal["status", "hang", "malformed", "endless", "dribble", "dribble_body"]


@dataclass(slots=True)
class _Rule:
    action: Action
    remaining: int | None  # None: for ever
    path_prefix: str | None
    location_id: str | None
    status: int = 0
    retry_after: float | str | None = None
    seconds: float = 0.0
    pages: int = 0

    def matches(self, path: str, location_id: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return False
        return self.location_id is None or self.location_id == location_id


@dataclass(frozen=True, slots=True)
class Fault:
    """The rule that fired for one request."""

    action: Action
    status: int = 0
    retry_after: float | str | None = None
    seconds: float = 0.0
    pages: int = 0


class Faults:
    """The fault rules of one simulator (``sim.faults``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._latency: list[tuple[float, str | None]] = []

    def latency(self, seconds: float, path_prefix: str | None = None) -> None:
        """Delay every matching response by ``seconds`` (until ``clear``)."""
        with self._lock:
            self._latency.append((seconds, path_prefix))

    def status(
        self,
        code: int,
        times: int | None = 1,
        path_prefix: str | None = None,
        retry_after: float | str | None = None,
        location_id: str | None = None,
    ) -> None:
        """Answer ``code`` ``times`` times (429 with ``retry_after`` seconds, 500, 503, 401...)."""
        rule = _Rule("status", times, path_prefix, location_id, code, retry_after)
        self._add(rule)

    def hang(
        self,
        seconds: float,
        times: int | None = 1,
        path_prefix: str | None = None,
        location_id: str | None = None,
    ) -> None:
        """Wait ``seconds`` before answering normally, so clients with shorter timeouts give up."""
        self._add(_Rule("hang", times, path_prefix, location_id, seconds=seconds))

    def dribble(
        self,
        seconds_per_byte: float,
        times: int | None = 1,
        path_prefix: str | None = None,
        location_id: str | None = None,
        body_only: bool = False,
    ) -> None:
        """Send the answer, status line first (or, ``body_only``, the body alone) one byte every
        ``seconds_per_byte``: each read gets something in time, so only a client with a total
        deadline gives up."""
        action: Action = "dribble_body" if body_only else "dribble"
        self._add(_Rule(action, times, path_prefix, location_id, seconds=seconds_per_byte))

    def malformed(
        self, location_id: str | None, times: int | None = None, path_prefix: str | None = None
    ) -> None:
        """Answer 200 with a truncated, invalid JSON body."""
        self._add(_Rule("malformed", times, path_prefix, location_id))

    def endless_paging(
        self, total_pages: int = 10**9, times: int | None = None, path_prefix: str | None = None
    ) -> None:
        """List pages (``/changes``, ``/locations``) that ignore the page asked for: every
        request gets the first page's items, the envelope claims ``total_pages`` full pages
        and there is always a next page. Location documents under the prefix are untouched."""
        self._add(_Rule("endless", times, path_prefix, None, pages=total_pages))

    def not_found(self, location_id: str, times: int | None = None) -> None:
        """Answer 404 for this location although it still exists."""
        self._add(_Rule("status", times, None, location_id, 404))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._latency.clear()

    @property
    def pending(self) -> int:
        """Rules that can still fire (for-ever rules included)."""
        with self._lock:
            return sum(1 for r in self._rules if r.remaining is None or r.remaining > 0)

    def delay_for(self, path: str) -> float:
        with self._lock:
            return sum(
                s for s, prefix in self._latency if prefix is None or path.startswith(prefix)
            )

    def take(self, path: str, location_id: str | None) -> Fault | None:
        """Consume the first rule matching this request, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(path, location_id):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return Fault(
                        rule.action, rule.status, rule.retry_after, rule.seconds, rule.pages
                    )
        return None

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)
