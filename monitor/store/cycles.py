"""Cycle rows: when each review ran, what it found, how it ended, and who may write for it.

A running cycle carries a lease (owner, fence, expiry in database time). Its owner renews the
lease while it works; once it has expired, another replica may take the cycle over, raising
the fence. Every write of a result begins with :func:`hold`, which locks the cycle row and
checks owner and fence, so a replica that lost its cycle (killed, paused, cut off) can never
write over the new owner's work, and a takeover waits for a batch in flight to commit.

Like every store module, these functions work in the caller's session and never commit:
the services own transactions (``with sessions.begin()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.errors import CycleLostError, SlotTakenError
from monitor.store import runstate
from monitor.store.tables import Cycle, Location

log = structlog.get_logger(__name__)

# The figures a cycle row accumulates, batch by batch, in the batch's own transaction: they
# stay right whichever replica wrote which batch.
COUNTED = (
    "locations",
    "changed",
    "unchanged",
    "baselines",
    "errors",
    "gone",
    "events",
    "search_errors",
)
GONE = "the process running the cycle ended before it finished"
EXPIRED = "the process running the cycle stopped renewing its lease"


@dataclass(frozen=True, slots=True)
class CycleLease:
    """The right to write one cycle's results: valid while owner and fence still match."""

    cycle_id: int
    owner: str
    fence: int


@dataclass(frozen=True, slots=True)
class TakenCycle:
    """A running cycle this process took over from one that stopped renewing its lease."""

    lease: CycleLease
    kind: str
    trigger: str
    slot_key: str | None
    started_at: datetime
    feed_window: tuple[datetime, datetime] | None
    previous_owner: str | None


def start(
    session: Session,
    kind: str,
    trigger: str,
    slot_key: str | None,
    owner: str,
    now: datetime,
    *,
    alive: Callable[[str], bool],
    ttl: timedelta,
    takeover: bool = False,
) -> CycleLease:
    """A new running cycle under this owner's lease.

    First, cycles that will never finish are closed: those of a process that is gone (killed,
    or cut from the database before it could say how it ended) and those whose lease ran
    out. With ``takeover`` (replicas on PostgreSQL) a scheduled cycle is left running for
    another replica to finish instead. ``alive`` tells whether an owner (``host:pid``) may
    still run: the store asks, the caller knows how to find out.
    """
    _abandon_orphans(session, alive, now, takeover=takeover)
    cycle = Cycle(
        kind=kind,
        trigger=trigger,
        slot_key=slot_key,
        owner=owner,
        started_at=now,
        status="running",
        fence=1,
        lease_expires_at=runstate.database_now(session) + ttl,
    )
    session.add(cycle)
    try:
        session.flush()
    except IntegrityError as exc:
        raise SlotTakenError(f"slot {slot_key} already has its cycle") from exc
    return CycleLease(cycle.id, owner, 1)


def _abandon_orphans(
    session: Session, alive: Callable[[str], bool], now: datetime, *, takeover: bool
) -> None:
    expired_before = runstate.database_now(session)
    rows = session.execute(
        select(Cycle.id, Cycle.owner, Cycle.slot_key, Cycle.lease_expires_at).where(
            Cycle.status == "running"
        )
    )
    orphans: list[int] = []
    for row in rows:
        if takeover and row.slot_key is not None:
            continue  # another replica finishes it
        expired = row.lease_expires_at is not None and row.lease_expires_at < expired_before
        if (row.owner and not alive(row.owner)) or (takeover and expired):
            orphans.append(row.id)
    if orphans:
        runstate.abandon_cycles(session, orphans, now, GONE)
        log.warning("cycles_abandoned", cycle_ids=orphans, reason="process gone")


def _owned(lease: CycleLease) -> ColumnElement[bool]:
    return and_(
        Cycle.id == lease.cycle_id,
        Cycle.owner == lease.owner,
        Cycle.fence == lease.fence,
        Cycle.status == "running",
    )


def hold(session: Session, lease: CycleLease) -> None:
    """Lock the cycle row for this transaction, or raise ``CycleLostError`` when the lease
    is no longer this process's: the first statement of every write of a result."""
    held = session.scalar(select(Cycle.id).where(_owned(lease)).with_for_update())
    if held is None:
        raise CycleLostError(lost_message(session, lease))


def lost_message(session: Session, lease: CycleLease) -> str:
    row = session.execute(
        select(Cycle.owner, Cycle.fence, Cycle.status).where(Cycle.id == lease.cycle_id)
    ).first()
    if row is None:
        return f"cycle {lease.cycle_id} no longer exists"
    if row.owner != lease.owner or row.fence != lease.fence:
        taken = f"cycle {lease.cycle_id} was taken over by {row.owner} (fence {row.fence})"
        return taken if row.status == "running" else f"{taken}, which {row.status} it"
    return f"cycle {lease.cycle_id} was closed ({row.status}) while this process ran it"


def renew(session: Session, lease: CycleLease, ttl: timedelta) -> bool:
    """Extend the lease by ``ttl`` from now (database time); False when it was lost."""
    result = session.execute(
        update(Cycle)
        .where(_owned(lease))
        .values(lease_expires_at=runstate.database_now(session) + ttl)
        .execution_options(synchronize_session=False)
    )
    return runstate.rowcount(result) == 1


def add_counts(session: Session, lease: CycleLease, figures: Mapping[str, int]) -> None:
    """Add one batch's figures to the cycle row (after :func:`hold`, in the batch's
    transaction)."""
    values = {name: getattr(Cycle, name) + figures.get(name, 0) for name in COUNTED}
    session.execute(
        update(Cycle)
        .where(Cycle.id == lease.cycle_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )


def record_window(
    session: Session, lease: CycleLease, window: tuple[datetime, datetime] | None
) -> None:
    """The change-feed window a poll reads, kept from its start: a replica taking the poll
    over reads the same window."""
    if window is None:
        return
    session.execute(
        update(Cycle)
        .where(_owned(lease))
        .values(feed_start=window[0], feed_end=window[1])
        .execution_options(synchronize_session=False)
    )


def finish(
    session: Session,
    lease: CycleLease,
    now: datetime,
    *,
    status: str = "completed",
    error: str | None = None,
) -> bool:
    """Record how a cycle ended: completed, or failed / abandoned with its error.

    False when the lease is no longer this process's: the new owner says how it ends.
    """
    result = session.execute(
        update(Cycle)
        .where(_owned(lease))
        .values(
            status=status,
            finished_at=now,
            error=error[:2000] if error else None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return runstate.rowcount(result) == 1


def totals(session: Session, cycle_id: int) -> dict[str, int]:
    """The cycle's figures so far, whichever replicas wrote them."""
    row = session.execute(
        select(*(getattr(Cycle, name) for name in COUNTED)).where(Cycle.id == cycle_id)
    ).one()
    return dict(zip(COUNTED, row, strict=True))


def processed_ids(session: Session, cycle_id: int) -> set[str]:
    """Locations whose result this cycle has already written."""
    return set(session.scalars(select(Location.id).where(Location.last_cycle_id == cycle_id)))


def take_over(
    session: Session,
    owner: str,
    ttl: timedelta,
    *,
    alive: Callable[[str], bool],
) -> TakenCycle | None:
    """Take over one scheduled cycle whose owner stopped renewing its lease, or is a process
    of this host that is gone; None when there is none.

    Rows locked by a batch in flight are skipped (``SKIP LOCKED``): that owner is still
    writing, and will be taken over at a later look if it stops. The fence is raised in the
    same statement that checks it, so of two replicas taking over at once, one wins.
    """
    now = runstate.database_now(session)
    candidates = session.execute(
        select(
            Cycle.id,
            Cycle.owner,
            Cycle.fence,
            Cycle.kind,
            Cycle.trigger,
            Cycle.slot_key,
            Cycle.started_at,
            Cycle.feed_start,
            Cycle.feed_end,
            Cycle.lease_expires_at,
        )
        .where(
            Cycle.status == "running",
            Cycle.slot_key.is_not(None),
            or_(Cycle.owner.is_(None), Cycle.owner != owner),
        )
        .order_by(Cycle.id)
        .with_for_update(skip_locked=True)
    ).all()
    for row in candidates:
        expired = row.lease_expires_at is None or row.lease_expires_at < now
        if not expired and (not row.owner or alive(row.owner)):
            continue
        taken = session.execute(
            update(Cycle)
            .where(Cycle.id == row.id, Cycle.fence == row.fence, Cycle.status == "running")
            .values(owner=owner, fence=row.fence + 1, lease_expires_at=now + ttl)
            .execution_options(synchronize_session=False)
        )
        if runstate.rowcount(taken) != 1:
            continue
        window = (row.feed_start, row.feed_end) if row.feed_start and row.feed_end else None
        return TakenCycle(
            lease=CycleLease(row.id, owner, row.fence + 1),
            kind=row.kind,
            trigger=row.trigger,
            slot_key=row.slot_key,
            started_at=row.started_at,
            feed_window=window,
            previous_owner=row.owner,
        )
    return None
