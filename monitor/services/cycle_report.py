"""What one review cycle did: its counts, events and first failures (the summary line,
the cycle row, the log and the metrics all read it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from monitor.domain.decide import Decision
from monitor.domain.events import Event
from monitor.store.repository import Applied

log = structlog.get_logger(__name__)
FAILURES_SHOWN = 5


@dataclass(slots=True)
class CycleReport:
    cycle_id: int
    kind: str
    locations: int = 0  # every id checked: locations, and providers watched for their own ratings
    providers: int = 0  # of those, providers
    baselines: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0
    gone: int = 0
    page_errors: int = 0  # website pages that failed while the API document was fine
    search_errors: int = 0  # saved searches the cycle meant to resolve and could not
    new_in_watchlist: int = 0  # watched ids without a baseline yet, fetched this cycle
    events: list[Event] = field(default_factory=list)  # written by this process
    events_total: int = 0  # written for the cycle by every process that ran it
    # The first few locations that failed this cycle, (id, reason), for the summary.
    failures: list[tuple[str, str]] = field(default_factory=list)
    # Ids CQC answered 404 for that were never fetched successfully: unknown, not gone.
    unknown: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0
    feed_window: tuple[datetime, datetime] | None = None

    @property
    def fetched_ok(self) -> int:
        return self.baselines + self.changed + self.unchanged + self.gone

    def count(self, decision: Decision) -> None:
        self.locations += 1
        if decision.state.kind == "provider":
            self.providers += 1
        outcome = decision.outcome
        setattr(self, _COUNTERS[outcome], getattr(self, _COUNTERS[outcome]) + 1)
        if outcome == "unknown":
            self.unknown.append(decision.state.id)

    def adopt(self, totals: Mapping[str, int]) -> None:
        """Take the whole cycle's figures as stored: a cycle taken over was partly written
        by another replica."""
        for name in _COUNTERS.values():
            setattr(self, name, totals.get(name, getattr(self, name)))
        self.locations = totals.get("locations", self.locations)
        self.search_errors = totals.get("search_errors", self.search_errors)
        self.events_total = totals.get("events", len(self.events))

    def note_failure(self, location_id: str, reason: str | None) -> None:
        log.warning("location_failed", location_id=location_id, error=reason)
        if len(self.failures) < FAILURES_SHOWN:
            self.failures.append((location_id, reason or "unknown error"))

    def counts(self) -> dict[str, int]:
        """The figures of the ``cycle_completed`` log line."""
        return {
            "locations": self.locations,
            "changed": self.changed,
            "baselines": self.baselines,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "gone": self.gone,
            "page_errors": self.page_errors,
            "search_errors": self.search_errors,
            "new_in_watchlist": self.new_in_watchlist,
            "events": self.events_total or len(self.events),
        }

    def summary(self) -> str:
        events = self.events_total or len(self.events)
        return (
            f"{self.kind} cycle {self.cycle_id}: {self._checked()} checked, "
            f"{self.changed} changed, {self.baselines} new, {self.unchanged} unchanged, "
            f"{self.gone} gone, {self.errors} errors, {events} events "
            f"in {self.duration_seconds:.1f}s"
            + (f", {self.new_in_watchlist} new in watchlist" if self.new_in_watchlist else "")
            + (f" ({self.page_errors} website pages unreadable)" if self.page_errors else "")
            + (f", {len(self.unknown)} not found at CQC" if self.unknown else "")
            + (
                f"; {_searches(self.search_errors)} could not be resolved"
                if self.search_errors
                else ""
            )
        )

    def _checked(self) -> str:
        places = self.locations - self.providers
        providers = f"{self.providers} provider{'s' if self.providers != 1 else ''}"
        if not self.providers:
            return f"{places} locations"
        return providers if not places else f"{places} locations and {providers}"


def _searches(count: int) -> str:
    return f"{count} saved search{'es' if count != 1 else ''}"


_COUNTERS = {
    "baseline": "baselines",
    "changed": "changed",
    "unchanged": "unchanged",
    "error": "errors",
    "gone": "gone",
    # The cycle row keeps no column of its own for them: a check of an id CQC does not
    # have failed, and the summary names how many.
    "unknown": "errors",
}


def batch_figures(items: Sequence[Applied], events: Sequence[Event]) -> dict[str, int]:
    """One written batch's share of the cycle row's figures."""
    outcomes = Counter(_COUNTERS[item.decision.outcome] for item in items)
    return {"locations": len(items), "events": len(events), **outcomes}
