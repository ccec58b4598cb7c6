"""The outbox: deliveries enqueued with their event, claimed when due, recorded, retired.

A delivery bound for a sink's digest is enqueued ``held`` until its window; once a digest
carries it (``store.digests``) it is sent, retried and given up with the digest, never on its
own.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.domain.events import Event
from monitor.store.runstate import owner_alive
from monitor.store.tables import Delivery, DeliveryAttempt, EventRecord

DUE = ("pending", "failed")
HELD = "held"
# Not sent yet: due, or held for a digest window.
WAITING = (*DUE, HELD)
NOT_CONFIGURED = "sink is no longer configured"


@dataclass(frozen=True, slots=True)
class Route:
    """An event's way to one sink: at once, or held until its digest window."""

    sink: str
    held_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    sink: str
    attempts: int  # attempts made before this one
    created_at: datetime
    event: Event


def enqueue(session: Session, event: Event, routes: Sequence[Route], now: datetime) -> None:
    """The outbox: one delivery per matching sink, in the event's transaction: pending, or
    held until the sink's next digest window."""
    if routes:
        session.execute(
            insert(Delivery),
            [
                {
                    "event_id": event.id,
                    "sink": route.sink,
                    "status": "pending" if route.held_until is None else HELD,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                    "next_attempt_at": route.held_until or now,
                }
                for route in routes
            ],
        )


def claim_due(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    sinks: Sequence[str],
    limit: int,
) -> list[Claimed]:
    """Claim due deliveries for ``lease``; replicas skip rows another one holds."""
    release_dead_owners(session)
    query = (
        select(Delivery.id)
        .where(Delivery.next_attempt_at <= now, Delivery.sink.in_(list(sinks)), _free(now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    candidates = list(session.scalars(query))
    if not candidates:
        return []
    # Claim only rows still free: on SQLite the SELECT above locks nothing, so a second
    # process may have claimed some of them in the meantime.
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(candidates), _free(now))
        .values(claimed_by=owner, claimed_until=now + lease)
        .returning(Delivery.id)
    )
    ids = list(claimed.scalars())
    if not ids:
        return []
    rows = session.execute(
        select(
            Delivery.id, Delivery.sink, Delivery.attempts, Delivery.created_at, EventRecord.payload
        )
        .join(EventRecord, EventRecord.id == Delivery.event_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    )
    return [
        Claimed(row.id, row.sink, row.attempts, row.created_at, Event.from_dict(row.payload))
        for row in rows
    ]


def _free(now: datetime) -> ColumnElement[bool]:
    """Due for sending on its own (not in a digest) and not held by a live claim."""
    return and_(
        Delivery.status.in_(DUE),
        Delivery.digest_id.is_(None),
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
    )


def retire_unknown_sinks(session: Session, known: Sequence[str], now: datetime) -> int:
    """Deliveries for a sink no longer in the configuration can never be sent: say so (those
    held for its digest included)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.status.in_(WAITING), Delivery.sink.not_in(list(known)))
        .values(
            status="dead",
            updated_at=now,
            last_error=NOT_CONFIGURED,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release_dead_owners(session: Session, table: Any = Delivery) -> None:
    """Claims held by a process of this host that no longer exists are free at once (of
    deliveries, or of another claimed ``table``: digests).

    A worker killed between sending and recording resends on restart instead of waiting
    for its lease to run out; claims of other hosts wait for their lease.
    """
    host = socket.gethostname()
    owners = session.scalars(
        select(table.claimed_by).where(table.claimed_by.like(f"{host}:%")).distinct()
    )
    dead = [owner for owner in owners if owner and not owner_alive(owner)]
    if dead:
        session.execute(
            update(table)
            .where(table.claimed_by.in_(dead))
            .values(claimed_by=None, claimed_until=None)
        )


def record(
    session: Session,
    claimed: Claimed,
    *,
    owner: str,
    status: str,
    now: datetime,
    next_attempt_at: datetime | None,
    error: str | None,
    duration_ms: float,
) -> None:
    """Store one attempt's outcome; a row another dispatcher took over is left alone (fencing)."""
    values = outcome_values(claimed.attempts, status, now, error, next_attempt_at)
    session.execute(
        update(Delivery)
        .where(and_(Delivery.id == claimed.delivery_id, Delivery.claimed_by == owner))
        .values(**values)
    )
    session.execute(
        insert(DeliveryAttempt).values(
            delivery_id=claimed.delivery_id,
            attempted_at=now,
            outcome=status,
            duration_ms=round(duration_ms, 2),
            error=error,
        )
    )


def outcome_values(
    attempts: int, status: str, now: datetime, error: str | None, next_attempt_at: datetime | None
) -> dict[str, object]:
    """The columns an attempt's outcome sets on a claimed row (a delivery, a digest): its
    claim released."""
    values: dict[str, object] = {
        "status": status,
        "attempts": attempts + 1,
        "updated_at": now,
        "last_error": error,
        "claimed_by": None,
        "claimed_until": None,
    }
    if status == "sent":
        values["sent_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    return values


def kill_sink(session: Session, sink: str, now: datetime, reason: str) -> int:
    """The receiver said the endpoint is gone (HTTP 410): nothing more goes to it, nor waits
    for its digest."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.sink == sink, Delivery.status.in_(WAITING))
        .values(
            status="dead", updated_at=now, last_error=reason, claimed_by=None, claimed_until=None
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def requeue_dead(
    session: Session,
    sink: str,
    marker: str,
    now: datetime,
    *,
    hold: tuple[Sequence[str], datetime] | None = None,
) -> int:
    """Make the sink's dead deliveries whose error starts with ``marker`` due again at once;
    with ``hold`` (severities, window), those of these severities wait for that digest window.

    A digest that carried one stays dead; the delivery leaves it and goes on its own or with
    the next digest. The last error stays as it was (what stopped them) until the next
    attempt replaces it.
    """
    stopped = and_(
        Delivery.sink == sink,
        Delivery.status == "dead",
        Delivery.last_error.startswith(marker, autoescape=True),
    )
    again = {"updated_at": now, "digest_id": None, "claimed_by": None, "claimed_until": None}
    requeued = 0
    if hold is not None:
        severities, window = hold
        held = Delivery.event_id.in_(
            select(EventRecord.id).where(EventRecord.severity.in_(list(severities)))
        )
        result = session.execute(
            update(Delivery)
            .where(stopped, held)
            .values(status=HELD, next_attempt_at=window, **again)
            .execution_options(synchronize_session=False)
        )
        requeued += int(getattr(result, "rowcount", 0) or 0)
    result = session.execute(
        update(Delivery)
        .where(stopped)
        .values(status="pending", next_attempt_at=now, **again)
        .execution_options(synchronize_session=False)
    )
    return requeued + int(getattr(result, "rowcount", 0) or 0)
