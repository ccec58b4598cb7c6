"""Read-only queries behind the dashboard's Overview and Changes pages.

Every page is a handful of indexed queries with a LIMIT: no query reads the snapshot JSON of
more than one location, so a page costs the same with 200 or 20,000 watched locations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import Session

from monitor.domain.ratings import NON_RATINGS, SCALE
from monitor.store.report_texts import serious_findings_events
from monitor.store.runstate import location_states
from monitor.store.status import CYCLE_KINDS
from monitor.store.tables import Cycle, Delivery, EventRecord, Location

T = TypeVar("T")
QUEUED = ("pending", "failed")
# What a sink's queue lists: due, retrying, or held for its digest window.
WAITING = (*QUEUED, "held")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    number: int  # from 1
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def offset(number: int, size: int) -> int:
    return (max(1, number) - 1) * size


def like(text_value: str) -> str:
    """A LIKE pattern matching ``text_value`` anywhere, its wildcards taken literally."""
    escaped = text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- overview ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleRow:
    id: int
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    locations: int
    changed: int
    baselines: int
    errors: int
    gone: int
    events: int
    search_errors: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Backlog:
    sink: str
    pending: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0  # waiting for the sink's digest window
    next_window: datetime | None = None  # the earliest window a held one waits for


@dataclass(frozen=True, slots=True)
class Overview:
    states: dict[str, int]
    ratings: list[tuple[str | None, int]]  # best first; None: no Overall rating (yet)
    cycles: list[CycleRow]
    backlog: list[Backlog]
    last_success: dict[str, datetime]  # newest completed cycle's finish, by kind
    newest_check: datetime | None
    oldest_check: datetime | None  # the stalest active location's last check
    recent: dict[str, int] = field(default_factory=dict)  # events of the last 7 days


def overview(session: Session, now: datetime, cycles: int = 10) -> Overview:
    checks = session.execute(
        select(func.max(Location.last_checked_at), func.min(Location.last_checked_at)).where(
            Location.status == "active",
            Location.last_hash.is_not(None),
            Location.unwatched_at.is_(None),  # no longer fetched: not a stalled schedule
        )
    ).one()
    return Overview(
        states=location_states(session),
        ratings=_ratings(session),
        cycles=last_cycles(session, cycles),
        backlog=backlog(session),
        last_success=_last_success(session),
        newest_check=checks[0],
        oldest_check=checks[1],
        recent=_recent(session, now - timedelta(days=7)),
    )


def _ratings(session: Session) -> list[tuple[str | None, int]]:
    rows = session.execute(
        select(Location.overall_rating, func.count())
        .where(
            Location.status != "gone",
            Location.kind == "location",
            Location.unwatched_at.is_(None),
        )
        .group_by(Location.overall_rating)
    )
    order = {name: index for index, name in enumerate([*SCALE, *NON_RATINGS])}
    counts = [(rating, count) for rating, count in rows]
    return sorted(counts, key=lambda item: (item[0] is None, order.get(item[0] or "", 99)))


def last_cycles(session: Session, limit: int) -> list[CycleRow]:
    columns = [getattr(Cycle, name) for name in CycleRow.__dataclass_fields__]
    rows = session.execute(select(*columns).order_by(Cycle.id.desc()).limit(limit))
    return [CycleRow(**row._mapping) for row in rows]


def backlog(session: Session) -> list[Backlog]:
    """Deliveries waiting or given up, per sink (sent ones are not counted: that is a scan)."""
    rows = session.execute(
        select(Delivery.sink, Delivery.status, func.count(), func.min(Delivery.next_attempt_at))
        .where(Delivery.status.in_((*WAITING, "dead")))
        .group_by(Delivery.sink, Delivery.status)
    )
    counts: dict[str, dict[str, Any]] = {}
    for sink, status, count, earliest in rows:
        counts.setdefault(sink, {})[status] = count
        if status == "held":
            counts[sink]["next_window"] = earliest
    return [Backlog(sink, **counts.get(sink, {})) for sink in sink_names(session)]


def _last_success(session: Session) -> dict[str, datetime]:
    """Freshness: cycles over the whole watchlist only, never a spot check of chosen ids."""
    rows = session.execute(
        select(Cycle.kind, func.max(Cycle.finished_at))
        .where(Cycle.status == "completed", Cycle.kind.in_(CYCLE_KINDS))
        .group_by(Cycle.kind)
    )
    return {kind: moment for kind, moment in rows if moment is not None}


def _recent(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(EventRecord.severity, func.count())
        .where(EventRecord.detected_at >= since)
        .group_by(EventRecord.severity)
    )
    return {severity: count for severity, count in rows}


def sink_names(session: Session) -> list[str]:
    """Every sink that has deliveries, read by skipping along the (sink, status) index.

    ``SELECT DISTINCT sink`` would read one index entry per delivery ever made.
    """
    skip = text(
        "WITH RECURSIVE s(sink) AS ("
        " SELECT MIN(sink) FROM deliveries"
        " UNION ALL"
        " SELECT (SELECT MIN(sink) FROM deliveries WHERE sink > s.sink) FROM s"
        " WHERE s.sink IS NOT NULL"
        ") SELECT sink FROM s WHERE sink IS NOT NULL"
    )
    return [name for (name,) in session.execute(skip)]


# --- changes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    types: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    location: str = ""  # an id, or part of a name
    provider: str = ""  # a provider id
    area: str = ""  # a region or local authority, any case
    serious: bool = False  # only events whose findings are special measures or enforcement


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: str
    detected_at: datetime
    severity: str
    type: str
    location_id: str | None  # None: the event is about a saved search
    summary: str
    payload: dict[str, Any]  # the event exactly as delivered

    @property
    def location_name(self) -> str:
        return str((self.payload.get("location") or {}).get("name") or self.subject_id)

    @property
    def subject_id(self) -> str:
        """The location's id, or ``search:NAME`` for an event about a saved search."""
        return self.location_id or str((self.payload.get("location") or {}).get("id") or "")

    @property
    def provider_id(self) -> str | None:
        return (self.payload.get("location") or {}).get("provider_id")


_CHANGE_COLUMNS = (
    EventRecord.id,
    EventRecord.detected_at,
    EventRecord.severity,
    EventRecord.type,
    EventRecord.location_id,
    EventRecord.summary,
    EventRecord.payload,
)


def changes(session: Session, wanted: ChangeFilter, number: int, size: int) -> Page[ChangeRow]:
    """Events newest first, one page of them, and how many match in all."""
    query = _filtered(select(*_CHANGE_COLUMNS), wanted)
    query = query.order_by(EventRecord.detected_at.desc(), EventRecord.id.desc())
    rows = session.execute(query.offset(offset(number, size)).limit(size))
    total = session.scalar(_filtered(select(func.count()).select_from(EventRecord), wanted))
    return Page([ChangeRow(**row._mapping) for row in rows], total or 0, number, size)


def location_changes(session: Session, location_id: str, limit: int) -> list[ChangeRow]:
    query = select(*_CHANGE_COLUMNS).where(EventRecord.location_id == location_id)
    query = query.order_by(EventRecord.detected_at.desc(), EventRecord.id.desc()).limit(limit)
    return [ChangeRow(**row._mapping) for row in session.execute(query)]


def _filtered(query: Select[Any], wanted: ChangeFilter) -> Select[Any]:
    if wanted.types:
        query = query.where(EventRecord.type.in_(wanted.types))
    if wanted.severities:
        query = query.where(EventRecord.severity.in_(wanted.severities))
    if wanted.since is not None:
        query = query.where(EventRecord.detected_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(EventRecord.detected_at < wanted.until)
    if wanted.serious:
        query = query.where(EventRecord.id.in_(serious_findings_events()))
    if not (wanted.location or wanted.provider or wanted.area):
        return query
    query = query.join(Location, Location.id == EventRecord.location_id)
    if wanted.location:
        query = query.where(
            or_(
                EventRecord.location_id == wanted.location,
                Location.name.ilike(like(wanted.location), escape="\\"),
            )
        )
    if wanted.provider:
        query = query.where(Location.provider_id == wanted.provider)
    if wanted.area:
        query = query.where(area_matches(wanted.area))
    return query


def area_matches(area: str) -> Any:
    wanted = area.strip().lower()
    return or_(
        func.lower(Location.region) == wanted, func.lower(Location.local_authority) == wanted
    )
