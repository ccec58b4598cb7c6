"""Saved searches and their members ⇄ rows. Callers own the session and transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from monitor.domain.events import Event
from monitor.domain.search import Search
from monitor.domain.search_health import SearchHealth
from monitor.store.repository import insert_event, stored_event_ids
from monitor.store.tables import SavedSearch, SearchMember

_CHUNK = 1000  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class SearchState:
    name: str
    since: datetime  # when the search, with its current filters, entered the watchlist
    resolved: bool  # a resolution has completed since
    failing: bool = False  # the last attempt to resolve it failed


@dataclass(frozen=True, slots=True)
class MemberRow:
    state: str  # member | left
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class MemberChange:
    search: str
    location_id: str
    joined: bool


def sync_searches(
    session: Session, searches: Sequence[Search], now: datetime
) -> dict[str, SearchState]:
    """The stored state of each configured search. A new search, or one whose filters
    changed, starts unresolved today: its next resolution is a silent baseline. So does one
    taken out of the configuration and put back later: what joined meanwhile is not news."""
    rows = {row.name: row for row in session.scalars(select(SavedSearch))}
    configured = {search.name for search in searches}
    for name, stored in rows.items():
        if name not in configured:  # forgotten: if it comes back, it starts afresh
            stored.fingerprint, stored.resolved_at = "", None
            _clear_failures(stored)
    states = {}
    for search in searches:
        row = rows.get(search.name)
        if row is None:
            row = SavedSearch(name=search.name, since=now, resolved_at=None)
            session.add(row)
        if row.fingerprint != search.fingerprint():
            row.fingerprint, row.filters = search.fingerprint(), dict(search.filters)
            row.since, row.resolved_at = now, None
            _clear_failures(row)
        states[search.name] = SearchState(
            search.name, row.since, row.resolved_at is not None, row.consecutive_failures > 0
        )
    session.flush()
    return states


def _clear_failures(row: SavedSearch) -> None:
    row.consecutive_failures, row.failing_since = 0, None
    row.failing_alerted, row.last_error = False, None


def mark_resolved(session: Session, names: Sequence[str], now: datetime) -> None:
    if names:
        session.execute(
            update(SavedSearch).where(SavedSearch.name.in_(list(names))).values(resolved_at=now)
        )


def load_health(session: Session, names: Sequence[str]) -> dict[str, SearchHealth]:
    """The failure streak of each of these searches (a search not stored yet has none)."""
    rows = session.scalars(select(SavedSearch).where(SavedSearch.name.in_(list(names))))
    found = {
        row.name: SearchHealth(
            row.name,
            row.consecutive_failures,
            row.failing_since,
            row.failing_alerted,
            row.last_error,
        )
        for row in rows
    }
    return {name: found.get(name, SearchHealth(name)) for name in names}


def save_health(session: Session, health: Sequence[SearchHealth]) -> None:
    for item in health:
        session.execute(
            update(SavedSearch)
            .where(SavedSearch.name == item.name)
            .values(
                consecutive_failures=item.consecutive_failures,
                failing_since=item.failing_since,
                failing_alerted=item.failing_alerted,
                last_error=item.last_error,
            )
        )


def record_search_events(
    session: Session, search: str, events: Sequence[Event], cycle_id: int | None, now: datetime
) -> list[Event]:
    """Events about a search itself (no location row): those not stored yet are written and
    returned, so a cycle run again after a crash alerts once."""
    existing = stored_event_ids(session, [event.id for event in events])
    new = [event for event in events if event.id not in existing]
    for event in new:
        insert_event(session, event, cycle_id=cycle_id, now=now, search=search)
    return new


def member_ids(session: Session, names: Sequence[str]) -> list[str]:
    """Locations that are members of any of these searches, each once."""
    if not names:
        return []
    query = select(SearchMember.location_id).where(
        SearchMember.search.in_(list(names)), SearchMember.state == "member"
    )
    return list(dict.fromkeys(session.scalars(query.order_by(SearchMember.location_id))))


def load_memberships(
    session: Session, location_ids: Sequence[str], names: Sequence[str]
) -> dict[str, dict[str, MemberRow]]:
    """location id → search → its row, for these locations and searches."""
    found: dict[str, dict[str, MemberRow]] = {}
    for start in range(0, len(location_ids), _CHUNK):
        rows = session.execute(
            select(SearchMember).where(
                SearchMember.location_id.in_(list(location_ids[start : start + _CHUNK])),
                SearchMember.search.in_(list(names)),
            )
        ).scalars()
        for row in rows:
            found.setdefault(row.location_id, {})[row.search] = MemberRow(
                row.state, row.joined_at, row.left_at
            )
    return found


def record_changes(
    session: Session,
    changes: Sequence[MemberChange],
    existing: dict[str, dict[str, MemberRow]],
    now: datetime,
) -> None:
    """Joins insert a row (or revive a ``left`` one); departures mark the row ``left``."""
    new, rejoined, departed = [], [], []
    for change in changes:
        key = {"search": change.search, "location_id": change.location_id}
        if not change.joined:
            departed.append({**key, "state": "left", "left_at": now})
        elif change.search in existing.get(change.location_id, {}):
            rejoined.append({**key, "state": "member", "joined_at": now, "left_at": None})
        else:
            new.append({**key, "state": "member", "joined_at": now})
    if new:
        session.execute(insert(SearchMember), new)
    for rows in (rejoined, departed):
        if rows:
            session.execute(update(SearchMember), rows)
