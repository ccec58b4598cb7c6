"""Read-only queries behind the dashboard's Deliveries page and a location's "who was told"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.dashboard_queries import Page, offset
from monitor.store.tables import Delivery, EventRecord


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    sink: str
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    event_id: str
    event_type: str
    severity: str
    location_id: str | None  # None: the event is about a saved search
    summary: str


_DELIVERY_COLUMNS = (
    Delivery.id,
    Delivery.sink,
    Delivery.status,
    Delivery.attempts,
    Delivery.created_at,
    Delivery.updated_at,
    Delivery.next_attempt_at,
    Delivery.sent_at,
    Delivery.last_error,
    Delivery.event_id,
    EventRecord.type.label("event_type"),
    EventRecord.severity,
    EventRecord.location_id,
    EventRecord.summary,
)


def deliveries(
    session: Session, sink: str, statuses: Sequence[str], number: int, size: int
) -> Page[DeliveryRow]:
    """One sink's deliveries in these states, newest first."""
    where = (Delivery.sink == sink, Delivery.status.in_(list(statuses)))
    query = (
        select(*_DELIVERY_COLUMNS)
        .join(EventRecord, EventRecord.id == Delivery.event_id)
        .where(*where)
        .order_by(Delivery.id.desc())
        .offset(offset(number, size))
        .limit(size)
    )
    total = session.scalar(select(func.count()).select_from(Delivery).where(*where))
    rows = [DeliveryRow(**row._mapping) for row in session.execute(query)]
    return Page(rows, total or 0, number, size)


def last_sent(session: Session, sink: str) -> datetime | None:
    # The newest by id: the (sink, status) index hands rows over in id order.
    return session.scalar(
        select(Delivery.sent_at)
        .where(Delivery.sink == sink, Delivery.status == "sent")
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def event_deliveries(session: Session, event_ids: Sequence[str]) -> dict[str, list[DeliveryRow]]:
    """Who was told about each of these events."""
    if not event_ids:
        return {}
    query = (
        select(*_DELIVERY_COLUMNS)
        .join(EventRecord, EventRecord.id == Delivery.event_id)
        .where(Delivery.event_id.in_(list(event_ids)))
        .order_by(Delivery.sink)
    )
    found: dict[str, list[DeliveryRow]] = {}
    for row in session.execute(query):
        found.setdefault(row.event_id, []).append(DeliveryRow(**row._mapping))
    return found
