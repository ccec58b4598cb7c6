"""Records ⇄ domain objects for the review cycle. Callers own the session and transaction."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.orm import Session

from monitor.domain.decide import Decision, LocationState
from monitor.domain.events import Event
from monitor.domain.snapshot import Snapshot
from monitor.errors import RecordRejectedError, short_error
from monitor.store.tables import (
    EventRecord,
    FeedWatermark,
    Fetch,
    Location,
    SnapshotRecord,
)

_STATE_FIELDS = (
    "name",
    "provider_id",
    "status",
    "last_hash",
    "last_body_hash",
    "last_snapshot_id",
    "consecutive_failures",
    "failing_since",
    "failing_alerted",
    "last_error",
    "watched_since",
    "kind",
)
# Ids per IN (...) list: well inside SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 1000


@dataclass(slots=True)
class FetchLog:
    location_id: str
    source: str
    fetched_at: datetime
    http_status: int | None
    duration_ms: float
    size: int
    error: str | None = None


@dataclass(slots=True)
class Applied:
    """One location's decision plus what the store needs to write it."""

    decision: Decision
    fetches: list[FetchLog]
    raw: bytes | None = None  # compressed, redacted payload for the snapshot row


def load_states(session: Session, ids: Sequence[str]) -> dict[str, LocationState]:
    # Plain rows, not ORM objects: the cycle reads states and never writes through them.
    columns = [getattr(Location, name) for name in ("id", *_STATE_FIELDS)]
    rows = session.execute(select(*columns).where(Location.id.in_(ids)))
    return {row.id: LocationState(**row._mapping) for row in rows}


def settled_bodies(session: Session, ids: Sequence[str] | None = None) -> dict[str, str]:
    """The document digest of each location (of ``ids``, or every one) whose last fetch was a
    healthy one, read in full: where the same bytes again would change nothing."""
    query = select(Location.id, Location.last_body_hash).where(
        Location.last_body_hash.is_not(None),
        Location.last_hash.is_not(None),
        Location.last_snapshot_id.is_not(None),
        Location.status == "active",
        Location.consecutive_failures == 0,
        Location.last_error.is_(None),
        Location.failing_alerted.is_(False),
        Location.failing_since.is_(None),
    )
    if ids is None:
        return {row.id: row.last_body_hash for row in session.execute(query)}
    found: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.execute(query.where(Location.id.in_(chunk)))
        found.update((row.id, row.last_body_hash) for row in rows)
    return found


def load_snapshots(session: Session, snapshot_ids: Iterable[int]) -> dict[int, Snapshot]:
    wanted = list(snapshot_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(SnapshotRecord.id, SnapshotRecord.data).where(SnapshotRecord.id.in_(wanted))
    )
    return {row.id: Snapshot.from_dict(row.data) for row in rows}


def compress_raw(payload: bytes) -> bytes:
    # Level 1: within 5% of level 6's size on CQC documents, at three quarters of the time.
    return zlib.compress(payload, 1)


def apply(
    session: Session,
    items: Sequence[Applied],
    *,
    cycle_id: int | None,
    now: datetime,
    known: dict[str, LocationState],
) -> list[Event]:
    """Write one batch of decisions; returns the events that were new to the store (the
    caller routes them to the outbox in the same transaction).

    A row the database refuses for its content raises ``RecordRejectedError`` (the
    transaction is then to be rolled back by the caller).
    """
    try:
        new = [i for i in items if i.decision.state.id not in known]
        _insert_new_locations(session, new, cycle_id, now)
        snapshot_ids = _insert_snapshots(session, items, cycle_id, now)
        _update_locations(session, items, known, snapshot_ids, cycle_id, now)
        events = _insert_events(session, items, known, snapshot_ids, cycle_id, now)
        _insert_fetches(session, items, cycle_id)
    except (DataError, IntegrityError, StatementError) as exc:
        if _unreachable(exc):
            raise
        raise RecordRejectedError(short_error(exc.orig or exc)) from exc
    return events


def _unreachable(exc: StatementError) -> bool:
    """A lost connection is not a row's fault: no other row would get through either."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _insert_new_locations(
    session: Session, items: Sequence[Applied], cycle_id: int | None, now: datetime
) -> None:
    """New locations go in with their whole state; only a snapshot link is added later."""
    if items:
        rows = [_state_values(i.decision.state) for i in items]
        for row in rows:
            row.update(first_seen_at=now, last_checked_at=now, last_cycle_id=cycle_id)
        session.execute(insert(Location), rows)


def _state_values(state: LocationState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    values["id"] = state.id
    return values


def _insert_snapshots(
    session: Session, items: Sequence[Applied], cycle_id: int | None, now: datetime
) -> dict[str, int]:
    rows = [
        {
            "location_id": snapshot.location_id,
            "cycle_id": cycle_id,
            "fetched_at": now,
            "content_hash": snapshot.content_hash(),
            "data": snapshot.to_dict(),
            "raw": item.raw,
        }
        for item in items
        if (snapshot := item.decision.snapshot) is not None
    ]
    if not rows:
        return {}
    inserted = session.execute(
        insert(SnapshotRecord).returning(SnapshotRecord.location_id, SnapshotRecord.id), rows
    )
    return {row.location_id: row.id for row in inserted}


def _update_locations(
    session: Session,
    items: Sequence[Applied],
    known: dict[str, LocationState],
    snapshot_ids: dict[str, int],
    cycle_id: int | None,
    now: datetime,
) -> None:
    untouched, shapes = _location_updates(items, known, snapshot_ids, now)
    # One executemany per shape of row: a statement per location was most of a baseline's cost.
    # Every row names the cycle that processed it: a cycle taken over skips those.
    for rows in shapes:
        if rows:
            session.execute(update(Location), [{**row, "last_cycle_id": cycle_id} for row in rows])
    if untouched:
        # The steady-state path: one statement for the whole batch.
        session.execute(
            update(Location)
            .where(Location.id.in_(untouched))
            .values(last_checked_at=now, last_cycle_id=cycle_id)
        )


def _location_updates(
    items: Sequence[Applied],
    known: dict[str, LocationState],
    snapshot_ids: dict[str, int],
    now: datetime,
) -> tuple[list[str], tuple[list[dict[str, Any]], ...]]:
    """Ids only checked, and rows to update: snapshot links, changed states (±snapshot)."""
    untouched: list[str] = []
    linked: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    moved_with_snapshot: list[dict[str, Any]] = []
    for item in items:
        state = item.decision.state
        before, snapshot_id = known.get(state.id), snapshot_ids.get(state.id)
        snapshot = item.decision.snapshot
        if before is None:  # inserted this batch with its state: only a snapshot to link
            if snapshot_id is not None and snapshot is not None:
                linked.append(
                    {
                        "id": state.id,
                        "last_snapshot_id": snapshot_id,
                        "last_changed_at": now,
                        **summary_values(snapshot),
                    }
                )
        elif snapshot_id is None and before == state:
            untouched.append(state.id)
        elif snapshot_id is None:
            moved.append({**_state_values(state), "last_checked_at": now})
        elif snapshot is not None:
            values = {**_state_values(state), "last_checked_at": now, "last_changed_at": now}
            values.update(summary_values(snapshot), last_snapshot_id=snapshot_id)
            moved_with_snapshot.append(values)
    return untouched, (linked, moved, moved_with_snapshot)


def summary_values(snapshot: Snapshot) -> dict[str, Any]:
    """The latest snapshot's fields the dashboard lists and filters locations by."""
    overall = snapshot.rating("Overall")
    return {
        "region": snapshot.region,
        "local_authority": snapshot.local_authority,
        "overall_rating": overall.rating if overall else None,
    }


def _insert_events(
    session: Session,
    items: Sequence[Applied],
    known: dict[str, LocationState],
    snapshot_ids: dict[str, int],
    cycle_id: int | None,
    now: datetime,
) -> list[Event]:
    candidates = [(item, event) for item in items for event in item.decision.events]
    if not candidates:
        return []
    existing = stored_event_ids(session, [event.id for _, event in candidates])
    written: list[Event] = []
    for item, event in candidates:
        if event.id in existing:
            continue  # the same change detected again (a re-run after a crash)
        existing.add(event.id)
        location_id = item.decision.state.id
        before = known.get(location_id)
        insert_event(
            session,
            event,
            cycle_id=cycle_id,
            now=now,
            location_id=location_id,
            before=before.last_snapshot_id if before else None,
            after=snapshot_ids.get(location_id),
        )
        written.append(event)
    return written


def stored_event_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Which of these events are stored already."""
    return set(session.scalars(select(EventRecord.id).where(EventRecord.id.in_(list(ids)))))


def insert_new_event(
    session: Session, event: Event, *, cycle_id: int | None, now: datetime
) -> bool:
    """One event about a location that comes from no snapshot (a report's findings read
    later); False when the store already has it (the same event detected again)."""
    if session.get(EventRecord, event.id) is not None:
        return False
    insert_event(session, event, cycle_id=cycle_id, now=now, location_id=event.subject.id)
    return True


def insert_event(
    session: Session,
    event: Event,
    *,
    cycle_id: int | None,
    now: datetime,
    location_id: str | None = None,
    search: str | None = None,
    before: int | None = None,
    after: int | None = None,
) -> None:
    """One event row: about a location (with its snapshots before and after), or about a
    saved search (``search``; no location)."""
    session.execute(
        insert(EventRecord).values(
            id=event.id,
            location_id=location_id,
            search=search,
            cycle_id=cycle_id,
            type=event.type,
            severity=event.severity,
            detected_at=now,
            summary=event.summary,
            payload=event.to_dict(),
            before_snapshot_id=before,
            after_snapshot_id=after,
        )
    )


def log_fetches(
    session: Session, logs: Sequence[FetchLog], *, cycle_id: int | None, outcome: str
) -> None:
    """Fetch-log rows outside a location's own decision (a report text read later)."""
    _insert_fetch_rows(session, [(log, outcome) for log in logs], cycle_id)


def _insert_fetches(session: Session, items: Sequence[Applied], cycle_id: int | None) -> None:
    logs = [(log, item.decision.outcome) for item in items for log in item.fetches]
    _insert_fetch_rows(session, logs, cycle_id)


def _insert_fetch_rows(
    session: Session, logs: Sequence[tuple[FetchLog, str]], cycle_id: int | None
) -> None:
    rows = [
        {
            "cycle_id": cycle_id,
            "location_id": log.location_id,
            "source": log.source,
            "fetched_at": log.fetched_at,
            "outcome": outcome if log.error is None else "error",
            "http_status": log.http_status,
            "duration_ms": round(log.duration_ms, 2),
            "size": log.size,
            "error": log.error,
        }
        for log, outcome in logs
    ]
    if rows:
        session.execute(insert(Fetch), rows)


def get_watermark(session: Session, name: str) -> datetime | None:
    row = session.get(FeedWatermark, name)
    return row.value if row else None


def set_watermark(session: Session, name: str, value: datetime, now: datetime) -> None:
    row = session.get(FeedWatermark, name)
    if row is None:
        session.add(FeedWatermark(name=name, value=value, updated_at=now))
    elif value > row.value:
        row.value, row.updated_at = value, now
