"""The worker's run state in the database: job runs, scheduled slots, the worker lease, and the
state of tracked locations (``store.figures`` gathers what ``/metrics`` reads at scrape time).

Kept in our own tables rather than in a pickled APScheduler job store, so a restart knows which
slot ran last and several processes agree on which slot is taken.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.tables import Cycle, JobState, Lease, Location

WORKER_LEASE = "worker"
RERUN_SUFFIX = "~rerun-"


# --- job state ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What the database remembers of one scheduled job."""

    job: str
    last_slot: datetime | None = None
    last_status: str | None = None
    next_run_at: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None


def load_jobs(session: Session) -> dict[str, JobRecord]:
    return {
        row.job: JobRecord(
            job=row.job,
            last_slot=row.last_slot,
            last_status=row.last_status,
            next_run_at=row.next_run_at,
            last_started_at=row.last_started_at,
            last_finished_at=row.last_finished_at,
        )
        for row in session.scalars(select(JobState))
    }


def save_job(session: Session, job: str, **values: Any) -> None:
    """Insert or update one job's row; replicas writing the same job never collide."""
    statement = dialect_insert(session)(JobState).values(job=job, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["job"], set_=values))


def drop_jobs(session: Session, prefix: str, *, keep: list[str]) -> None:
    """Forget the jobs named ``prefix…`` that are not in ``keep`` (no longer scheduled)."""
    session.execute(
        delete(JobState).where(
            JobState.job.startswith(prefix, autoescape=True), JobState.job.not_in(keep)
        )
    )


# --- slots -------------------------------------------------------------------------------------


def slot_owner(session: Session, slot_key: str) -> str | None:
    """Who ran (or is running) this slot; None when it is free."""
    row = session.execute(select(Cycle.owner).where(Cycle.slot_key == slot_key)).first()
    if row is None:
        return None
    return row.owner or "unknown"


def running_cycles(session: Session) -> list[tuple[int, str | None, str | None]]:
    """(id, owner, slot key) of each running cycle."""
    rows = session.execute(
        select(Cycle.id, Cycle.owner, Cycle.slot_key).where(Cycle.status == "running")
    )
    return [(row.id, row.owner, row.slot_key) for row in rows]


def abandon_cycles(session: Session, cycle_ids: list[int], now: datetime, reason: str) -> None:
    """Close cycles that will never finish and free their slots so they can run again."""
    if not cycle_ids:
        return
    session.execute(
        update(Cycle)
        .where(Cycle.id.in_(cycle_ids), Cycle.status == "running")
        .values(status="abandoned", finished_at=now, error=reason)
    )
    free_slots(session, cycle_ids)


def free_slots(session: Session, cycle_ids: list[int]) -> None:
    """An abandoned or failed cycle keeps its slot in the audit trail under another name.

    The unique slot key would otherwise stop the retry or catch-up run of the same slot.
    """
    for cycle_id in cycle_ids:
        session.execute(
            update(Cycle)
            .where(
                Cycle.id == cycle_id,
                Cycle.status.in_(("abandoned", "failed")),
                Cycle.slot_key.is_not(None),
                Cycle.slot_key.not_like(f"%{RERUN_SUFFIX}%"),
            )
            .values(slot_key=Cycle.slot_key + f"{RERUN_SUFFIX}{cycle_id}")
        )


def cycle_id_for_slot(session: Session, slot_key: str) -> int | None:
    return session.scalar(select(Cycle.id).where(Cycle.slot_key == slot_key))


# --- the single-worker lease -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaseClaim:
    acquired: bool
    holder: str
    fence: int


def acquire_lease(
    session: Session,
    owner: str,
    now: datetime,
    ttl: timedelta,
    *,
    name: str = WORKER_LEASE,
    alive: Callable[[str], bool] | None = None,
) -> LeaseClaim:
    """Take the lease if it is free, ours, expired, or held by a dead process of this host."""
    alive = alive or owner_alive
    current = session.get(Lease, name, populate_existing=True)
    if current is None:
        statement = dialect_insert(session)(Lease).values(
            name=name, owner=owner, fence=1, expires_at=now + ttl, acquired_at=now
        )
        statement = statement.on_conflict_do_nothing(index_elements=["name"])
        if session.scalar(statement.returning(Lease.fence)) is None:  # another process was first
            return _holder(session, name)
        return LeaseClaim(True, owner, 1)
    holder, fence = current.owner, current.fence
    if holder != owner and current.expires_at > now and alive(holder):
        return LeaseClaim(False, holder, fence)
    # Compare-and-set on the fence: of two processes taking over at once, one wins.
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.fence == fence)
        .values(
            owner=owner,
            fence=fence + 1,
            expires_at=now + ttl,
            acquired_at=current.acquired_at if holder == owner else now,
        )
    )
    if rowcount(taken) != 1:
        return _holder(session, name)
    return LeaseClaim(True, owner, fence + 1)


def renew_lease(
    session: Session,
    owner: str,
    fence: int,
    now: datetime,
    ttl: timedelta,
    *,
    name: str = WORKER_LEASE,
) -> bool:
    """False when someone else took the lease over: this worker must stop."""
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.owner == owner, Lease.fence == fence)
        .values(expires_at=now + ttl)
    )
    return rowcount(result) == 1


def release_lease(session: Session, owner: str, fence: int, *, name: str = WORKER_LEASE) -> None:
    session.execute(
        delete(Lease).where(Lease.name == name, Lease.owner == owner, Lease.fence == fence)
    )


def dialect_insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # not for SQLite's

        return pg_insert
    return sqlite_insert


def _holder(session: Session, name: str) -> LeaseClaim:
    row = session.get(Lease, name, populate_existing=True)
    return LeaseClaim(False, row.owner if row else "unknown", row.fence if row else 0)


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def owner_alive(owner: str) -> bool:
    """Whether a ``host:pid`` owner may still run; only this host's processes can be checked."""
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        return True
    return True


# --- what /metrics, status and the dashboard count -------------------------------------------

# What a tracked location is now, in the order that decides it: gone (404), failing (its last
# fetch failed), unbaselined (never fetched successfully: the next cycle fetches it), active.
# unknown: never fetched successfully, and CQC answers 404 (a mistyped id, say).
LOCATION_STATES = ("active", "unbaselined", "failing", "gone", "unknown")
# A row kept for the audit trail of an id the watchlist no longer names: the dashboard lists it
# as such; nothing counts it (``location_states``).
UNWATCHED = "unwatched"
LISTED_STATES = (*LOCATION_STATES, UNWATCHED)


def location_state() -> Any:
    """The state of a ``locations`` row as a SQL expression, in LISTED_STATES' terms."""
    return case(
        (Location.unwatched_at.is_not(None), UNWATCHED),
        (Location.status == "gone", "gone"),
        (Location.status == "unknown", "unknown"),
        (Location.consecutive_failures > 0, "failing"),
        (Location.last_hash.is_(None), "unbaselined"),
        else_="active",
    )


def location_states(session: Session, *, kind: str = "location") -> dict[str, int]:
    """Watched locations by state (or, with ``kind="provider"``, the providers watched for
    their own ratings). Ids that left the watchlist are kept but not counted."""
    state = location_state()
    counts = dict.fromkeys(LOCATION_STATES, 0)
    query = (
        select(state, func.count())
        .where(Location.kind == kind, Location.unwatched_at.is_(None))
        .group_by(state)
    )
    for name, count in session.execute(query):
        counts[name] = count
    return counts


def database_now(session: Session) -> datetime:
    """The database's clock: replicas on several hosts agree on lease expiry by it.

    SQLite has one worker, on the host of its file: that host's clock is the database's.
    """
    if session.get_bind().dialect.name != "postgresql":
        return datetime.now(UTC)
    moment = session.scalar(select(func.clock_timestamp()))
    assert isinstance(moment, datetime)
    return moment.astimezone(UTC)
