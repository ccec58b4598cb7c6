"""Digests in the database (SPEC §6): closing a window, claiming, recording, retiring.

Closing a window is one transaction: a digest row whose slot key is unique (one per sink and
window, as a scheduled cycle's), and the sink's held deliveries bound to it. Of the replicas
that reach a window, one inserts the row; the others meet the unique key and stand down, and
a held delivery is bound to exactly one digest. The row is then claimed, sent and recorded
like a delivery, and every delivery it carries takes its state (``pending``, ``failed``,
``sent``, ``dead``), so ``status``, ``alerts`` and the dashboard read them as before.

Like every store module, these functions work in the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.cron import slot_key
from monitor.domain.digest import digest_key
from monitor.domain.events import Event
from monitor.errors import SlotTakenError
from monitor.store.outbox import DUE, HELD, outcome_values, release_dead_owners
from monitor.store.runstate import rowcount
from monitor.store.tables import Delivery, DeliveryAttempt, DigestRecord, EventRecord


@dataclass(frozen=True, slots=True)
class Closed:
    """A window just closed: the digest that will carry what the sink held."""

    digest_id: int
    sink: str
    key: str
    events: int
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True, slots=True)
class ClaimedDigest:
    digest_id: int
    sink: str
    key: str
    attempts: int  # attempts made before this one
    created_at: datetime
    window_start: datetime
    window_end: datetime
    events: tuple[Event, ...]  # in the order they were held


@dataclass(frozen=True, slots=True)
class Held:
    """A sink's deliveries waiting for its digest, and the earliest window they wait for."""

    count: int
    window: datetime


def digest_job(sink: str) -> str:
    return f"digest:{sink}"


def _held(sink: str) -> ColumnElement[bool]:
    return and_(Delivery.sink == sink, Delivery.status == HELD, Delivery.digest_id.is_(None))


def close(
    session: Session,
    sink: str,
    window_end: datetime,
    now: datetime,
    *,
    trigger: str,
    due_by: datetime | None,
    since: datetime | None = None,
) -> Closed | None:
    """Close the sink's window ending at ``window_end``: its held deliveries due by ``due_by``
    (every one when None) go in one new digest. None when nothing was held: an empty window
    leaves no row. ``SlotTakenError`` when another process closed this window already.

    The window starts where the sink's previous digest ended, or at ``since`` (the schedule's
    fire before) for its first, and earlier still if a delivery it carries is older.
    """
    row = DigestRecord(
        sink=sink,
        slot_key=slot_key(digest_job(sink), window_end),
        trigger=trigger,
        key="",
        window_start=window_end,
        window_end=window_end,
        events=0,
        status="pending",
        attempts=0,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise SlotTakenError(f"the digest window {row.slot_key} is closed already") from exc
    due = _held(sink) if due_by is None else and_(_held(sink), Delivery.next_attempt_at <= due_by)
    bound = session.execute(
        update(Delivery)
        .where(due)
        .values(status="pending", digest_id=row.id, next_attempt_at=now, updated_at=now)
        .returning(Delivery.event_id, Delivery.created_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not bound:
        session.delete(row)
        session.flush()
        return None
    previous = session.scalar(
        select(func.max(DigestRecord.window_end)).where(
            DigestRecord.sink == sink, DigestRecord.id != row.id
        )
    )
    base = previous if previous is not None and previous < window_end else since
    start = min(created for _, created in bound)
    start = min(start, base) if base is not None else start
    iso = window_end.isoformat().replace("+00:00", "Z")
    row.key = digest_key(sink, iso, (event_id for event_id, _ in bound))
    row.events, row.window_start = len(bound), start
    session.flush()
    return Closed(row.id, sink, row.key, len(bound), start, window_end)


def earliest_held(session: Session, sink: str, due_by: datetime | None = None) -> datetime | None:
    """The earliest window the sink's held deliveries (those due by ``due_by``) wait for;
    None when none does (no digest is owed)."""
    query = select(func.min(Delivery.next_attempt_at)).where(_held(sink))
    if due_by is not None:
        query = query.where(Delivery.next_attempt_at <= due_by)
    return session.scalar(query)


def restamp(
    session: Session, sink: str, window: datetime, *, due_by: datetime | None = None
) -> int:
    """Held deliveries wait for ``window``: those due by ``due_by`` (a window another process
    closed before they were written), or all that wait for a later one (the schedule moved)."""
    waits = Delivery.next_attempt_at
    which = waits <= due_by if due_by is not None else waits > window
    result = session.execute(
        update(Delivery)
        .where(_held(sink), which)
        .values(next_attempt_at=window)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def release_held(session: Session, sinks: Sequence[str], now: datetime) -> int:
    """Held deliveries of sinks that no longer have a digest go at once."""
    if not sinks:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.sink.in_(list(sinks)), Delivery.status == HELD)
        .where(Delivery.digest_id.is_(None))
        .values(status="pending", next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def claim_due(
    session: Session,
    sink: str,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    everything: bool = False,
    limit: int = 10,
) -> list[ClaimedDigest]:
    """Claim the sink's due digests (``everything``: not sent yet, due or not) for ``lease``."""
    release_dead_owners(session, DigestRecord)
    wanted = DigestRecord.sink == sink if everything else DigestRecord.next_attempt_at <= now
    candidates = list(
        session.scalars(
            select(DigestRecord.id)
            .where(DigestRecord.sink == sink, wanted, _free(now))
            .order_by(DigestRecord.next_attempt_at, DigestRecord.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return []
    ids = list(
        session.scalars(
            update(DigestRecord)
            .where(DigestRecord.id.in_(candidates), _free(now))
            .values(claimed_by=owner, claimed_until=now + lease)
            .returning(DigestRecord.id)
        )
    )
    rows = session.scalars(
        select(DigestRecord).where(DigestRecord.id.in_(ids)).order_by(DigestRecord.id)
    )
    return [_claimed(session, row) for row in rows]


def _free(now: datetime) -> ColumnElement[bool]:
    return and_(
        DigestRecord.status.in_(DUE),
        or_(DigestRecord.claimed_until.is_(None), DigestRecord.claimed_until < now),
    )


def _claimed(session: Session, row: DigestRecord) -> ClaimedDigest:
    payloads = session.scalars(
        select(EventRecord.payload)
        .join(Delivery, Delivery.event_id == EventRecord.id)
        .where(Delivery.digest_id == row.id)
        .order_by(Delivery.id)
    )
    return ClaimedDigest(
        digest_id=row.id,
        sink=row.sink,
        key=row.key,
        attempts=row.attempts,
        created_at=row.created_at,
        window_start=row.window_start,
        window_end=row.window_end,
        events=tuple(Event.from_dict(payload) for payload in payloads),
    )


def record(
    session: Session,
    claimed: ClaimedDigest,
    *,
    owner: str,
    status: str,
    now: datetime,
    next_attempt_at: datetime | None,
    error: str | None,
    duration_ms: float,
) -> bool:
    """Store one attempt's outcome on the digest and every delivery it carries; False (and
    nothing written) when another process took the digest over (fencing)."""
    values = outcome_values(claimed.attempts, status, now, error, next_attempt_at)
    result = session.execute(
        update(DigestRecord)
        .where(DigestRecord.id == claimed.digest_id, DigestRecord.claimed_by == owner)
        .values(**values)
    )
    if rowcount(result) != 1:
        return False
    carried = list(
        session.scalars(
            update(Delivery)
            .where(Delivery.digest_id == claimed.digest_id)
            .values(**values)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    attempt = {"attempted_at": now, "outcome": status, "error": error}
    attempt["duration_ms"] = round(duration_ms, 2)
    session.execute(insert(DeliveryAttempt), [{"delivery_id": item, **attempt} for item in carried])
    return True


def retire_unknown(session: Session, known: Sequence[str], now: datetime, reason: str) -> int:
    """Digests of sinks no longer configured are dead with ``reason``, as is what they carry."""
    return _retire(session, DigestRecord.sink.not_in(list(known)), now, reason)


def kill(session: Session, sink: str, now: datetime, reason: str) -> int:
    """The sink's receiver is gone (410): its digests not sent yet are dead with ``reason``."""
    return _retire(session, DigestRecord.sink == sink, now, reason)


def _retire(session: Session, which: ColumnElement[bool], now: datetime, reason: str) -> int:
    dead = {"status": "dead", "updated_at": now, "last_error": reason}
    ids = list(
        session.scalars(
            update(DigestRecord)
            .where(DigestRecord.status.in_(DUE), which)
            .values(claimed_by=None, claimed_until=None, **dead)
            .returning(DigestRecord.id)
        )
    )
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.digest_id.in_(ids), Delivery.status.in_(DUE))
            .values(claimed_by=None, claimed_until=None, **dead)
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def held_by_sink(session: Session) -> dict[str, Held]:
    """Each sink's held deliveries, with the earliest window one waits for."""
    rows = session.execute(
        select(Delivery.sink, func.count(), func.min(Delivery.next_attempt_at))
        .where(Delivery.status == HELD)
        .group_by(Delivery.sink)
    )
    return {sink: Held(count, window) for sink, count, window in sorted(rows)}
