"""Which stored locations are watched now: ids entering the watchlist, ids leaving it, and
those a cycle retries.

An id that leaves the watchlist keeps its rows (snapshots, events, deliveries: the audit
trail) and gets ``unwatched_at``; what is counted as watched (``status``, ``/metrics``, the
dashboard's counts) leaves it out. It is watched anew as soon as a cycle's watchlist names it:
fetched by that cycle, its first fetch a first sight from that day (SPEC §5.2).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from monitor.store.runstate import dialect_insert
from monitor.store.tables import Location

_CHUNK = 1000  # ids per IN (...) list: well inside SQLite's and PostgreSQL's limits


def register_watched(
    session: Session, ids: Sequence[str], now: datetime, *, kind: str = "location"
) -> list[str]:
    """Record when each new id entered the watchlist, and that every one of ``ids`` is
    watched; returns the watched ids not baselined.

    Unbaselined: never fetched successfully, and not known to be gone. Every cycle fetches
    them, so a new watchlist entry is covered by the next daily poll. Read and written a
    chunk at a time: one insert of a whole 20,000-id watchlist held five copies of it.
    """
    unbaselined: list[str] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(dict.fromkeys(ids[start : start + _CHUNK]))
        rows = session.execute(
            select(Location.id, Location.last_hash, Location.status, Location.unwatched_at).where(
                Location.id.in_(chunk)
            )
        )
        states = {row.id: row for row in rows}
        new = [i for i in chunk if i not in states]
        if new:
            session.execute(insert(Location), [_new_row(i, now, kind) for i in new])
        returning = {i for i, row in states.items() if row.unwatched_at is not None}
        if returning:
            session.execute(
                update(Location).where(Location.id.in_(sorted(returning))).values(**_rewatched(now))
            )
        unbaselined += (
            i
            for i in chunk
            if i not in states
            or i in returning
            or (states[i].last_hash, states[i].status) == (None, "active")
        )
    return unbaselined


def mark_unwatched(
    session: Session, watched: Collection[str], now: datetime, *, kind: str = "location"
) -> int:
    """Mark the stored ids of ``kind`` that ``watched`` (the whole watchlist) leaves out as
    unwatched since ``now``; returns how many left it."""
    stored = session.scalars(
        select(Location.id)
        .where(Location.kind == kind, Location.unwatched_at.is_(None))
        .order_by(Location.id)  # two cycles at once lock rows in the same order
    )
    keep = set(watched)
    leaving = [location_id for location_id in stored if location_id not in keep]
    for start in range(0, len(leaving), _CHUNK):
        session.execute(
            update(Location)
            .where(
                Location.id.in_(leaving[start : start + _CHUNK]), Location.unwatched_at.is_(None)
            )
            .values(unwatched_at=now)
        )
    return len(leaving)


def watch_every_location(session: Session) -> None:
    """The whole register is watched: no stored location is outside the watchlist. (Not
    watched anew: the register walk, not this cycle, is what fetches each of them.)"""
    session.execute(
        update(Location)
        .where(Location.kind == "location", Location.unwatched_at.is_not(None))
        .values(unwatched_at=None)
    )


def register_spot(session: Session, ids: Sequence[str], now: datetime) -> None:
    """Ids a spot check (``check --location``) meets for the first time, outside the
    watchlist: stored, since their fetches and snapshots are kept, but not watched."""
    for start in range(0, len(ids), _CHUNK):
        chunk = list(dict.fromkeys(ids[start : start + _CHUNK]))
        known = set(session.scalars(select(Location.id).where(Location.id.in_(chunk))))
        new = [i for i in chunk if i not in known]
        if new:
            rows = [{**_new_row(i, now, "location"), "unwatched_at": now} for i in new]
            # A cycle may store the same id meanwhile: then it is the cycle's, and watched.
            statement = dialect_insert(session)(Location).on_conflict_do_nothing(
                index_elements=["id"]
            )
            session.execute(statement, rows)


def failing_location_ids(session: Session, *, kind: str = "location") -> list[str]:
    """Locations (or watched providers) whose last fetch failed: retried every cycle until
    they recover."""
    return list(
        session.scalars(
            select(Location.id).where(
                Location.consecutive_failures > 0,
                Location.status == "active",
                Location.kind == kind,
            )
        )
    )


def _rewatched(now: datetime) -> dict[str, object]:
    """An id back in the watchlist is watched anew: its next fetch is a first sight, compared
    with what CQC published since ``now``, not with the snapshot from before it left (what
    changed meanwhile is old news). Its earlier snapshots and events stay in the audit trail."""
    return {
        "unwatched_at": None,
        "watched_since": now,
        "last_hash": None,
        "last_body_hash": None,
        "last_snapshot_id": None,
    }


def _new_row(location_id: str, now: datetime, kind: str) -> dict[str, object]:
    return {
        "id": location_id,
        "first_seen_at": now,
        "watched_since": now,
        "status": "active",
        "kind": kind,
    }
