"""Read-only queries behind the dashboard's Locations and Location pages.

The list reads only the ``locations`` table, whose region, local authority and Overall rating
the store keeps from each location's latest snapshot; one location's page reads its own
snapshots, events, deliveries and failed fetches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, union
from sqlalchemy.orm import Session

from monitor.domain.ratings import SCALE
from monitor.store.dashboard_deliveries import DeliveryRow, event_deliveries
from monitor.store.dashboard_queries import (
    ChangeRow,
    Page,
    area_matches,
    like,
    location_changes,
    offset,
)
from monitor.store.report_texts import location_texts
from monitor.store.runstate import location_state
from monitor.store.tables import Fetch, Location, SnapshotRecord

NO_RATING = "none"  # the rating filter's value for locations without an Overall rating


@dataclass(frozen=True, slots=True)
class LocationFilter:
    query: str = ""  # part of a name, or an id / provider id
    area: str = ""  # region or local authority, any case
    rating: str = ""  # an Overall rating, or NO_RATING
    state: str = ""  # one of runstate.LISTED_STATES
    kind: str = "location"  # or "provider": the providers watched for their own ratings


@dataclass(frozen=True, slots=True)
class LocationRow:
    id: str
    name: str | None
    provider_id: str | None
    region: str | None
    local_authority: str | None
    overall_rating: str | None
    state: str
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    kind: str = "location"  # or "provider": a provider watched for its own ratings


def _rating_rank() -> Any:
    return case(*((Location.overall_rating == name, rank) for name, rank in SCALE.items()), else_=0)


# Every sort is total: ties are broken by id, so pages never overlap.
SORTS: dict[str, Any] = {
    "name": lambda: func.lower(Location.name),
    "id": lambda: Location.id,
    "provider": lambda: Location.provider_id,
    "area": lambda: func.lower(func.coalesce(Location.local_authority, Location.region)),
    "rating": _rating_rank,
    "state": location_state,
    "checked": lambda: Location.last_checked_at,
}


def _columns() -> list[Any]:
    names = [n for n in LocationRow.__dataclass_fields__ if n != "state"]
    return [*(getattr(Location, n) for n in names), location_state().label("state")]


def locations(
    session: Session,
    wanted: LocationFilter,
    *,
    sort: str = "name",
    descending: bool = False,
    number: int = 1,
    size: int = 50,
) -> Page[LocationRow]:
    key = SORTS.get(sort, SORTS["name"])()
    order = [key.desc() if descending else key.asc(), Location.id]
    query = _filtered(select(*_columns()), wanted).order_by(*order)
    rows = session.execute(query.offset(offset(number, size)).limit(size))
    total = session.scalar(_filtered(select(func.count()).select_from(Location), wanted))
    return Page([LocationRow(**row._mapping) for row in rows], total or 0, number, size)


def _filtered(query: Any, wanted: LocationFilter) -> Any:
    query = query.where(Location.kind == wanted.kind)
    if wanted.query:
        text_value = wanted.query.strip()
        query = query.where(
            or_(
                Location.id == text_value,
                Location.provider_id == text_value,
                Location.name.ilike(like(text_value), escape="\\"),
            )
        )
    if wanted.area:
        query = query.where(area_matches(wanted.area))
    if wanted.rating == NO_RATING:
        query = query.where(Location.overall_rating.is_(None))
    elif wanted.rating:
        query = query.where(Location.overall_rating == wanted.rating)
    if wanted.state:
        query = query.where(location_state() == wanted.state)
    return query


def areas(session: Session) -> list[str]:
    """Every region and local authority seen, for the search forms' suggestions."""
    found = union(
        select(Location.region.label("area")).where(Location.region.is_not(None)),
        select(Location.local_authority.label("area")).where(Location.local_authority.is_not(None)),
    )
    return sorted(name for (name,) in session.execute(select(found.subquery().c.area)))


# --- one location ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    id: int
    fetched_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FailedFetch:
    fetched_at: datetime
    source: str
    outcome: str
    http_status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LocationDetail:
    row: LocationRow
    first_seen_at: datetime
    watched_since: datetime | None
    snapshots: list[StoredSnapshot]  # oldest first
    events: list[ChangeRow]  # newest first
    deliveries: dict[str, list[DeliveryRow]]  # by event id
    failures: list[FailedFetch]  # newest first
    texts: list[dict[str, Any]] = field(default_factory=list)  # report texts read, newest first

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.snapshots[-1].data if self.snapshots else None


def location_detail(
    session: Session, location_id: str, *, events: int = 200, failures: int = 50
) -> LocationDetail | None:
    found = session.execute(
        select(*_columns(), Location.first_seen_at, Location.watched_since).where(
            Location.id == location_id
        )
    ).first()
    if found is None:
        return None
    values = dict(found._mapping)
    first_seen, watched = values.pop("first_seen_at"), values.pop("watched_since")
    changes = location_changes(session, location_id, events)
    return LocationDetail(
        row=LocationRow(**values),
        first_seen_at=first_seen,
        watched_since=watched,
        snapshots=_snapshots(session, location_id),
        events=changes,
        deliveries=event_deliveries(session, [change.id for change in changes]),
        failures=_failures(session, location_id, failures),
        texts=location_texts(session, location_id, with_text=False),
    )


def location_name(session: Session, location_id: str) -> str | None:
    return session.scalar(select(Location.name).where(Location.id == location_id))


def _snapshots(session: Session, location_id: str) -> list[StoredSnapshot]:
    rows = session.execute(
        select(SnapshotRecord.id, SnapshotRecord.fetched_at, SnapshotRecord.data)
        .where(SnapshotRecord.location_id == location_id)
        .order_by(SnapshotRecord.id)
    )
    return [StoredSnapshot(**row._mapping) for row in rows]


def _failures(session: Session, location_id: str, limit: int) -> list[FailedFetch]:
    rows = session.execute(
        select(Fetch.fetched_at, Fetch.source, Fetch.outcome, Fetch.http_status, Fetch.error)
        .where(Fetch.location_id == location_id, Fetch.outcome.in_(("error", "gone", "unknown")))
        .order_by(Fetch.fetched_at.desc())
        .limit(limit)
    )
    return [FailedFetch(**row._mapping) for row in rows]
