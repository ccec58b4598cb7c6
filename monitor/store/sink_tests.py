"""``sinks test NAME`` sends, kept in their own table: an operator sees when each sink was
last checked and how it went, and nothing that counts alerts (status, metrics, digests, the
dispatcher, the dashboard's overview) ever reads them. Functions work in the caller's session
and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.tables import SinkTest

SENT, FAILED = "sent", "failed"


@dataclass(frozen=True, slots=True)
class LastTest:
    sink: str
    sent_at: datetime
    outcome: str  # sent | failed
    error: str | None


def record(
    session: Session,
    *,
    sink: str,
    sent_at: datetime,
    ok: bool,
    duration_ms: float,
    error: str | None,
    event: dict[str, Any],
) -> None:
    """One test send; ``error`` is already redacted."""
    session.add(
        SinkTest(
            sink=sink,
            sent_at=sent_at,
            outcome=SENT if ok else FAILED,
            duration_ms=round(duration_ms, 2),
            error=None if ok else error,
            event=event,
        )
    )


def last_tests(session: Session) -> dict[str, LastTest]:
    """Each tested sink's newest test, by sink name."""
    newest = (
        select(SinkTest.sink, func.max(SinkTest.id).label("id")).group_by(SinkTest.sink).subquery()
    )
    rows = session.scalars(select(SinkTest).join(newest, newest.c.id == SinkTest.id))
    return {
        row.sink: LastTest(row.sink, row.sent_at, row.outcome, row.error)
        for row in sorted(rows, key=lambda row: row.sink)
    }


def tests(session: Session, *, outcome: str | None = None) -> list[dict[str, Any]]:
    """Test sends, newest first, shaped as ``alerts`` lists a delivery, with ``test`` true."""
    query = select(SinkTest).order_by(SinkTest.sent_at.desc(), SinkTest.id.desc())
    if outcome:
        query = query.where(SinkTest.outcome == outcome)
    return [_alert_row(row) for row in session.scalars(query)]


def _alert_row(row: SinkTest) -> dict[str, Any]:
    sent_at = row.sent_at.isoformat().replace("+00:00", "Z")
    return {
        "id": f"test-{row.id}",
        "event_id": row.event.get("id"),
        "sink": row.sink,
        "status": row.outcome,
        "attempts": 1,
        "event_type": row.event.get("type"),
        "location_id": (row.event.get("location") or {}).get("id"),
        "summary": row.event.get("summary"),
        "created_at": sent_at,
        "next_attempt_at": None,  # a test is never retried
        "sent_at": sent_at if row.outcome == SENT else None,
        "last_error": row.error,
        "duration_ms": row.duration_ms,
        "test": True,
    }
