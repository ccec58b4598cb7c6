"""Cycle rows: when each review ran, what it found, and how it ended."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.tables import Cycle


def start(
    sessions: sessionmaker[Session],
    kind: str,
    trigger: str,
    slot_key: str | None,
    owner: str,
    now: datetime,
) -> int:
    with sessions.begin() as session:
        cycle = Cycle(
            kind=kind,
            trigger=trigger,
            slot_key=slot_key,
            owner=owner,
            started_at=now,
            status="running",
        )
        session.add(cycle)
        session.flush()
        return cycle.id


def finish(sessions: sessionmaker[Session], cycle_id: int, report: Any, now: datetime) -> None:
    _close(sessions, cycle_id, report, now, status="completed", error=None)


def fail(
    sessions: sessionmaker[Session],
    cycle_id: int,
    report: Any,
    now: datetime,
    error: str,
    *,
    status: str = "failed",
) -> None:
    # The original failure matters more than this record of it.
    with contextlib.suppress(Exception):
        _close(sessions, cycle_id, report, now, status=status, error=error[:2000])


def _close(
    sessions: sessionmaker[Session],
    cycle_id: int,
    report: Any,
    now: datetime,
    *,
    status: str,
    error: str | None,
) -> None:
    window = report.feed_window
    with sessions.begin() as session:
        session.execute(
            update(Cycle)
            .where(Cycle.id == cycle_id)
            .values(
                status=status,
                finished_at=now,
                error=error,
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
