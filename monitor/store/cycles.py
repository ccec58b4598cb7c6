"""Cycle rows: when each review ran, what it found, and how it ended.

Like every store module, these functions work in the caller's session and never commit:
the services own transactions (``with sessions.begin()``).
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from datetime import datetime
from typing import Protocol

import structlog
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.errors import SlotTakenError
from monitor.store import runstate
from monitor.store.tables import Cycle

log = structlog.get_logger(__name__)


class CycleFigures(Protocol):
    """What a cycle row records of the cycle's report (the services' ``CycleReport``)."""

    @property
    def locations(self) -> int: ...
    @property
    def changed(self) -> int: ...
    @property
    def unchanged(self) -> int: ...
    @property
    def baselines(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def gone(self) -> int: ...
    @property
    def events(self) -> Sized: ...
    @property
    def feed_window(self) -> tuple[datetime, datetime] | None: ...


GONE = "the process running the cycle ended before it finished"


def start(
    session: Session,
    kind: str,
    trigger: str,
    slot_key: str | None,
    owner: str,
    now: datetime,
    *,
    alive: Callable[[str], bool],
) -> int:
    """A new running cycle; first, cycles left running by a process that is gone (killed, or
    cut from the database before it could say how it ended) are marked abandoned.

    ``alive`` tells whether an owner (``host:pid``) may still run: the store asks, the caller
    knows how to find out.
    """
    _abandon_orphans(session, alive, now)
    cycle = Cycle(
        kind=kind, trigger=trigger, slot_key=slot_key, owner=owner, started_at=now, status="running"
    )
    session.add(cycle)
    try:
        session.flush()
    except IntegrityError as exc:
        raise SlotTakenError(f"slot {slot_key} already has its cycle") from exc
    return cycle.id


def _abandon_orphans(session: Session, alive: Callable[[str], bool], now: datetime) -> None:
    orphans = [
        cycle_id
        for cycle_id, owner in runstate.running_cycles(session)
        if owner and not alive(owner)
    ]
    if orphans:
        runstate.abandon_cycles(session, orphans, now, GONE)
        log.warning("cycles_abandoned", cycle_ids=orphans, reason="process gone")


def finish(
    session: Session,
    cycle_id: int,
    report: CycleFigures,
    now: datetime,
    *,
    status: str = "completed",
    error: str | None = None,
) -> None:
    """Record how a cycle ended: completed, or failed / abandoned with its error."""
    window = report.feed_window
    session.execute(
        update(Cycle)
        .where(Cycle.id == cycle_id)
        .values(
            status=status,
            finished_at=now,
            error=error[:2000] if error else None,
            locations=report.locations,
            changed=report.changed,
            unchanged=report.unchanged,
            baselines=report.baselines,
            errors=report.errors,
            gone=report.gone,
            events=len(report.events),
            feed_start=window[0] if window else None,
            feed_end=window[1] if window else None,
        )
    )
