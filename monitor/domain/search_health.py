"""Whether a saved search can be resolved, cycle after cycle (SPEC §5.2's ``monitor_failing``
and ``monitor_recovered``, for a search rather than a location).

A search the API cannot list (an error, a listing that claims a billion pages) keeps its
members watched; each cycle that tries and fails counts, as a location's failed fetch does.
The ``failing_after``-th failure in a row is one ``monitor_failing``; the first resolution
after it one ``monitor_recovered``. Such an event's ``location`` stands for the search (see
``search_ref``) and its details name it (``search``), so sinks that follow the search get it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.domain.events import Event, LocationRef
from monitor.domain.status import streak_event

# No CQC id holds a colon: "search:NAME" is never a location's id.
SEARCH_ID_PREFIX = "search:"


@dataclass(frozen=True, slots=True)
class SearchHealth:
    """A search's failure streak as stored; all zero and empty while it resolves."""

    name: str
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    failing_alerted: bool = False
    last_error: str | None = None


def search_ref(name: str) -> LocationRef:
    """The ``location`` of an event about a saved search: ``search:NAME``, named ``Saved
    search NAME``, with no provider and no page on CQC's website (``url`` is empty)."""
    return LocationRef(
        id=SEARCH_ID_PREFIX + name, name=f"Saved search {name}", provider_id=None, url=""
    )


def after_failure(
    health: SearchHealth, error: str, *, now: datetime, failing_after: int, detected_at: str
) -> tuple[SearchHealth, list[Event]]:
    """One more cycle in which the search could not be resolved."""
    failures = health.consecutive_failures + 1
    since = health.failing_since or now
    failing = replace(health, consecutive_failures=failures, failing_since=since, last_error=error)
    if failures < failing_after or health.failing_alerted:
        return failing, []
    summary = (
        f"Saved search {health.name} could not be resolved in {failures} consecutive cycles: "
        f"{error}. Its members are still watched."
    )
    event = _event("monitor_failing", "warning", summary, failing, detected_at)
    return replace(failing, failing_alerted=True), [event]


def after_resolution(health: SearchHealth, *, detected_at: str) -> tuple[SearchHealth, list[Event]]:
    """The search was resolved: the streak ends, with a notice if one was sent for it."""
    resolved = SearchHealth(health.name)
    if not health.failing_alerted or health.failing_since is None:
        return resolved, []
    failures = health.consecutive_failures
    summary = f"Saved search {health.name} can be resolved again after {failures} failed cycles."
    return resolved, [_event("monitor_recovered", "info", summary, health, detected_at)]


def _event(kind: str, severity: str, summary: str, health: SearchHealth, detected_at: str) -> Event:
    assert health.failing_since is not None
    return streak_event(
        kind,
        severity,
        summary,
        search_ref(health.name),
        health.consecutive_failures,
        health.last_error or "",
        health.failing_since.isoformat(),
        detected_at,
        search=health.name,
    )


def search_attention(failing: Sequence[Mapping[str, Any]]) -> list[str]:
    """``status``'s reasons to look, one per search whose last resolution failed (rows as
    ``store.status.failing_searches`` reads them: name, since, failures, last_error)."""
    return [
        f"saved search {row['name']!r} cannot be resolved ({_cycles(row['failures'])} in a row "
        f"since {_when(row['since'])}): {row['last_error'] or 'no error recorded'}"
        for row in failing
    ]


def search_lines(failing: Sequence[Mapping[str, Any]]) -> list[str]:
    """``status``'s table section for the searches that cannot be resolved."""
    if not failing:
        return []
    lines = ["", "saved searches that cannot be resolved (their members stay watched):"]
    return lines + [
        f"  {row['name']} since {_when(row['since'])}, {_cycles(row['failures'])}: "
        f"{row['last_error'] or ''}"
        for row in failing
    ]


def _cycles(count: int) -> str:
    return f"{count} cycle{'s' if count != 1 else ''}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else "an unknown time"
