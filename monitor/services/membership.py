"""Judging fetched locations against the saved searches, one batch at a time.

Runs inside the batch's transaction, between decide and apply: a location that joins or
leaves gets its ``location_added`` / ``location_left`` event in the same outbox write as
its snapshot. A location fetched only because it might join (a change-feed id nobody watched,
an id the API listed for a search) and that matches nothing leaves no trace at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from monitor.domain.diff import location_ref
from monitor.domain.events import Event
from monitor.domain.membership import Change, Sighting, Standing, membership_changes
from monitor.domain.search import Search
from monitor.services.observe import Gathered
from monitor.services.routing import Router
from monitor.sources.search_facts import location_facts
from monitor.store.memberships import (
    MemberChange,
    MemberRow,
    SearchState,
    load_memberships,
    record_changes,
)
from monitor.store.outbox import Route
from monitor.store.repository import Applied

log = structlog.get_logger(__name__)
_FETCHED = ("baseline", "changed", "unchanged")


@dataclass
class Settled:
    """A batch after judgement: the items to store, and how to route their events."""

    items: list[Applied]
    changes: list[MemberChange] = field(default_factory=list)
    rows: dict[str, dict[str, MemberRow]] = field(default_factory=dict)
    # location id → the searches it belongs to (before or after this batch)
    belongs: dict[str, set[str]] = field(default_factory=dict)
    router: Router | None = None

    def routes(self, event: Event) -> list[Route]:
        assert self.router is not None
        return self.router(event, self.belongs.get(event.subject.id, set()))

    def record(self, session: Session, now: datetime) -> None:
        """After apply, once the rows of new locations exist."""
        record_changes(session, self.changes, self.rows, now)


class SearchJudge:
    """Memberships of one cycle: which ids are candidates (fetched only because they might
    join: not watched), and what each fetch changes."""

    def __init__(
        self,
        searches: Sequence[Search],
        states: dict[str, SearchState],
        *,
        watched: Sequence[str] | None,
    ) -> None:
        self.searches = tuple(searches)
        self.names = [search.name for search in searches]
        self.filters = {key for search in searches for key, _ in search.filters}
        # Searches in their first resolution: their joins are a silent baseline.
        self.baseline_days = {
            name: state.since.date().isoformat()
            for name, state in states.items()
            if not state.resolved
        }
        self._watched = None if watched is None else set(watched)  # None: the whole register
        self.candidates = self.joined = self.left = self.passed_over = 0

    def is_watched(self, location_id: str) -> bool:
        return self._watched is None or location_id in self._watched

    def note_target(self, location_id: str) -> None:
        if not self.is_watched(location_id):
            self.candidates += 1

    def counts(self) -> dict[str, int]:
        return {
            "candidates": self.candidates,
            "joined": self.joined,
            "left": self.left,
            "passed_over": self.passed_over,
        }

    def settle(
        self,
        session: Session,
        batch: list[Gathered],
        items: list[Applied],
        router: Router,
        now: datetime,
    ) -> Settled:
        ids = [item.decision.state.id for item in items]
        settled = Settled([], rows=load_memberships(session, ids, self.names), router=router)
        for gathered, item in zip(batch, items, strict=True):
            self._settle_one(gathered, item, settled, stamp(now) or "")
        return settled

    def _settle_one(
        self, gathered: Gathered, item: Applied, settled: Settled, detected_at: str
    ) -> None:
        location_id = item.decision.state.id
        rows = settled.rows.get(location_id, {})
        changes = self._changes(gathered, item, rows, detected_at)
        joined = [change.search for change in changes if change.joined]
        if not self.is_watched(location_id):
            if not joined:
                self.passed_over += 1
                return  # not watched, and matches no search: nothing of it is stored
            # A location that joins is baselined silently but for its location_added.
            item.decision.events = []
        item.decision.events += [change.event for change in changes if change.event]
        settled.items.append(item)
        settled.changes += [MemberChange(c.search, location_id, c.joined) for c in changes]
        members = {name for name, row in rows.items() if row.state == "member"}
        settled.belongs[location_id] = members | set(joined)
        self.joined += len(joined)
        self.left += len(changes) - len(joined)

    def _changes(
        self, gathered: Gathered, item: Applied, rows: dict[str, MemberRow], detected_at: str
    ) -> list[Change]:
        snapshot = gathered.observation.snapshot
        if item.decision.outcome not in _FETCHED or snapshot is None:
            return []  # nothing fetched: every membership stands as it was
        try:
            facts = location_facts(gathered.document, self.filters)
        except ValueError as exc:
            log.warning("search_facts_unreadable", location_id=snapshot.location_id, error=str(exc))
            return []
        sighting = Sighting(
            ref=location_ref(snapshot),
            facts=facts,
            content_hash=snapshot.content_hash(),
            ratings=snapshot.ratings,
            registration_date=snapshot.registration_date,
            deregistered=(snapshot.registration_status or "").casefold() == "deregistered",
        )
        standings = [self._standing(search, rows.get(search.name)) for search in self.searches]
        return membership_changes(sighting, standings, detected_at=detected_at)

    def _standing(self, search: Search, row: MemberRow | None) -> Standing:
        member = row is not None and row.state == "member"
        return Standing(
            search,
            member_since=stamp(row.joined_at) if member and row else None,
            left_at=stamp(row.left_at) if row else None,
            baseline_day=self.baseline_days.get(search.name),
        )


@dataclass
class SearchOutcome:
    """What a cycle's resolutions of saved searches came to, for its completion to record."""

    failed: int = 0  # searches the cycle meant to resolve and could not
    events: list[tuple[str, Event]] = field(default_factory=list)  # (search, its event)


def _ignore(_count: int) -> None:
    pass


class Plan:
    """What a cycle does for saved searches; this base does nothing (no searches, or a
    ``check --location`` run, which judges no memberships)."""

    def __init__(self, judge: SearchJudge | None = None) -> None:
        self.judge = judge or SearchJudge((), {}, watched=None)
        # Told how many more targets a search's listing brings, once its first page says
        # how many it lists: the cycle's progress total.
        self.expect_more: Callable[[int], None] = _ignore

    def tap(self, changed: Iterator[str]) -> Iterator[str]:
        return changed

    def targets(self, base: Iterator[str]) -> Iterator[str]:
        return base

    def settle(
        self,
        session: Session,
        batch: list[Gathered],
        items: list[Applied],
        router: Router,
        now: datetime,
    ) -> Settled:
        if not self.judge.searches:
            return Settled(items, router=router)
        return self.judge.settle(session, batch, items, router, now)

    def finish(self, session: Session, now: datetime, failing_after: int) -> SearchOutcome:
        return SearchOutcome()


IDLE = Plan()


def stamp(moment: datetime | None) -> str | None:
    """An event's ``detected_at``: ISO 8601 in UTC, with a Z."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None
