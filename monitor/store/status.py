"""What ``cqc-monitor status`` reads: the run state of the worker and of the data, in one pass.

Read-only queries; plain values out (dates stay datetimes), so the CLI can print a table or JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.cycles import COUNTED
from monitor.store.digests import held_by_sink
from monitor.store.repository import get_watermark
from monitor.store.runstate import WORKER_LEASE, location_state, location_states
from monitor.store.sink_states import disabled_sinks
from monitor.store.source_changes import status as source_shape_status
from monitor.store.tables import Cycle, Delivery, JobState, Lease, Location, SavedSearch

# The change feed's watermark row (the review service's FEED; not imported: store never
# imports services).
FEED_WATERMARK = "changes/location"
# The cycles over the whole watchlist: only these say how fresh the data is.
CYCLE_KINDS = ("incremental", "full")
# A check of chosen ids only (``check --location``): shown, never counted for freshness.
SPOT_KIND = "spot"
_CYCLE_COUNTS = COUNTED
DELIVERY_STATES = ("pending", "failed", "dead")


def read_status(session: Session, now: datetime) -> dict[str, Any]:
    return {
        "schedules": schedules(session),
        "cycles": {kind: last_cycle(session, kind) for kind in (*CYCLE_KINDS, SPOT_KIND)},
        "feed_watermark": get_watermark(session, FEED_WATERMARK),
        "locations": location_states(session),
        # Providers watched for their own ratings ([watch] providers), by the same states.
        "providers": location_states(session, kind="provider"),
        "failing": failing_locations(session),
        "unknown": unknown_locations(session),
        "failing_searches": failing_searches(session),
        "deliveries": deliveries_by_sink(session),
        # Per sink: deliveries held for its digest, and the earliest window one waits for.
        "held": {
            sink: {"deliveries": held.count, "window": held.window}
            for sink, held in held_by_sink(session).items()
        },
        "disabled_sinks": [
            {"name": sink.name, "since": sink.since, "reason": sink.reason}
            for sink in disabled_sinks(session)
        ],
        "lease": worker_lease(session, now),
        "source_shape": source_shape_status(session, now),
    }


def schedules(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(JobState).order_by(JobState.job))
    return [
        {
            "job": row.job,
            "next_run_at": row.next_run_at,
            "last_status": row.last_status,
            "last_finished_at": row.last_finished_at,
        }
        for row in rows
    ]


def last_cycle(session: Session, kind: str) -> dict[str, Any] | None:
    """The newest cycle of a kind, and when the newest completed one finished."""
    cycle = session.scalars(
        select(Cycle).where(Cycle.kind == kind).order_by(Cycle.started_at.desc(), Cycle.id.desc())
    ).first()
    if cycle is None:
        return None
    completed = session.scalar(
        select(func.max(Cycle.finished_at)).where(Cycle.kind == kind, Cycle.status == "completed")
    )
    duration = (cycle.finished_at - cycle.started_at).total_seconds() if cycle.finished_at else None
    return {
        "id": cycle.id,
        "trigger": cycle.trigger,
        "status": cycle.status,
        "started_at": cycle.started_at,
        "finished_at": cycle.finished_at,
        "duration_seconds": round(duration, 1) if duration is not None else None,
        "counts": {name: getattr(cycle, name) for name in _CYCLE_COUNTS},
        "error": cycle.error,
        "last_completed_at": completed,
        # While running: who runs it, and until when its lease holds without renewal.
        "owner": cycle.owner,
        "lease_expires_at": cycle.lease_expires_at if cycle.status == "running" else None,
    }


def failing_locations(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            Location.id,
            Location.name,
            Location.failing_since,
            Location.consecutive_failures,
            Location.last_error,
        )
        .where(location_state() == "failing")  # never so once unwatched
        .order_by(Location.failing_since, Location.id)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "since": row.failing_since,
            "failures": row.consecutive_failures,
            "last_error": row.last_error,
        }
        for row in rows
    ]


def unknown_locations(session: Session) -> list[dict[str, Any]]:
    """Watched ids CQC answers 404 for and never answered for: a mistyped watchlist entry,
    say (once it is taken out of the watchlist, the next cycle stops listing it)."""
    rows = session.execute(
        select(Location.id, Location.first_seen_at, Location.last_checked_at)
        .where(location_state() == "unknown")  # never so once unwatched
        .order_by(Location.id)
    )
    return [
        {"id": row.id, "since": row.first_seen_at, "checked_at": row.last_checked_at}
        for row in rows
    ]


def failing_searches(session: Session) -> list[dict[str, Any]]:
    """Saved searches whose last resolution failed (their members stay watched), longest
    failing first."""
    rows = session.execute(
        select(
            SavedSearch.name,
            SavedSearch.failing_since,
            SavedSearch.consecutive_failures,
            SavedSearch.last_error,
        )
        .where(SavedSearch.consecutive_failures > 0)
        .order_by(SavedSearch.failing_since, SavedSearch.name)
    )
    return [
        {
            "name": row.name,
            "since": row.failing_since,
            "failures": row.consecutive_failures,
            "last_error": row.last_error,
        }
        for row in rows
    ]


def deliveries_by_sink(session: Session) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(Delivery.sink, Delivery.status, func.count())
        .where(Delivery.status.in_(DELIVERY_STATES))
        .group_by(Delivery.sink, Delivery.status)
    )
    sinks: dict[str, dict[str, int]] = {}
    for sink, status, count in rows:
        sinks.setdefault(sink, dict.fromkeys(DELIVERY_STATES, 0))[status] = count
    return dict(sorted(sinks.items()))


def worker_lease(session: Session, now: datetime) -> dict[str, Any] | None:
    """The single-worker lease while it is live; an expired one is nobody's."""
    lease = session.get(Lease, WORKER_LEASE)
    if lease is None or lease.expires_at <= now:
        return None
    return {"holder": lease.owner, "since": lease.acquired_at, "expires_at": lease.expires_at}
