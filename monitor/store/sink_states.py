"""Sink states shared by every process: a sink disabled here is disabled for every replica and
survives a restart. Functions work in the caller's session and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.store.runstate import dialect_insert
from monitor.store.tables import SinkState

DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class DisabledSink:
    name: str
    since: datetime
    reason: str | None


def disable(session: Session, name: str, now: datetime, reason: str) -> None:
    """Mark a sink disabled; a sink already disabled keeps its first moment and reason."""
    statement = dialect_insert(session)(SinkState).values(
        name=name, state=DISABLED, since=now, reason=reason
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["name"]))


def enable(session: Session, name: str) -> DisabledSink | None:
    """Forget a sink's disabled state; what it was, or None when it was not disabled."""
    row = session.execute(
        delete(SinkState)
        .where(SinkState.name == name, SinkState.state == DISABLED)
        .returning(SinkState.name, SinkState.since, SinkState.reason)
    ).first()
    return DisabledSink(row.name, row.since, row.reason) if row is not None else None


def disabled_sink(session: Session, name: str) -> DisabledSink | None:
    """One sink's disabled state (a primary-key read, cheap enough to make before each batch)."""
    row = session.get(SinkState, name, populate_existing=True)
    if row is None or row.state != DISABLED:
        return None
    return DisabledSink(row.name, row.since, row.reason)


def disabled_sinks(session: Session) -> list[DisabledSink]:
    rows = session.scalars(
        select(SinkState).where(SinkState.state == DISABLED).order_by(SinkState.name)
    )
    return [DisabledSink(row.name, row.since, row.reason) for row in rows]
