"""What people see of the shape watch: the changes ``status`` lists and ``source ack``
acknowledges, the learned shape ``source shape`` prints, the dashboard's panel. Read-only but
for ``acknowledge``; callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store.source_shape import learned_at
from monitor.store.tables import SourceChange, SourceShapeKind, SourceShapePath, SourceShapeValue

RECENT = timedelta(days=30)  # what ``status`` and the dashboard list


def unacknowledged(session: Session) -> int:
    """Changes of CQC's document shape nobody has acknowledged (``source ack``)."""
    statement = select(func.count()).where(SourceChange.acknowledged_at.is_(None))
    return int(session.scalar(statement) or 0)


def changes(session: Session, since: datetime) -> list[dict[str, Any]]:
    """Changes first seen since ``since``, and older ones not yet acknowledged; newest first."""
    rows = session.scalars(
        select(SourceChange)
        .where(or_(SourceChange.first_seen_at >= since, SourceChange.acknowledged_at.is_(None)))
        .order_by(SourceChange.first_seen_at.desc(), SourceChange.id.desc())
    )
    return [change_row(row) for row in rows]


def change_row(row: SourceChange) -> dict[str, Any]:
    return {
        "id": row.id,
        "change": row.change,
        "kind": row.kind,
        "path": row.path,
        "field": row.field,
        "value": row.value,
        "examples": list(row.examples or []),
        "first_seen_at": row.first_seen_at,
        "event_id": row.event_id,
        "acknowledged_at": row.acknowledged_at,
        "acknowledged_by": row.acknowledged_by,
    }


def acknowledge(
    session: Session, now: datetime, by: str | None = None, ids: Sequence[int] | None = None
) -> int:
    """Acknowledge the changes not acknowledged yet (or only these ids); returns how many."""
    statement = update(SourceChange).where(SourceChange.acknowledged_at.is_(None))
    if ids is not None:
        statement = statement.where(SourceChange.id.in_(list(ids)))
    result = session.execute(statement.values(acknowledged_at=now, acknowledged_by=by))
    return int(getattr(result, "rowcount", 0) or 0)


def shape_report(session: Session) -> dict[str, Any]:
    """The learned shape for ``source shape``: kinds, their paths with counts, vocabularies."""
    kinds = {row.kind: row for row in session.scalars(select(SourceShapeKind))}
    paths: dict[str, list[dict[str, Any]]] = {}
    for row in session.scalars(
        select(SourceShapePath).order_by(SourceShapePath.kind, SourceShapePath.path)
    ):
        paths.setdefault(row.kind, []).append(
            {"path": row.path, "documents": row.documents, "first_seen_at": row.first_seen_at}
        )
    values: dict[str, list[dict[str, Any]]] = {}
    for value in session.scalars(
        select(SourceShapeValue).order_by(SourceShapeValue.field, SourceShapeValue.value)
    ):
        values.setdefault(value.field, []).append(
            {
                "value": value.value,
                "documents": value.documents,
                "path": value.path,
                "first_seen_at": value.first_seen_at,
            }
        )
    return {
        "learned_at": learned_at(session),
        "kinds": {
            kind: {
                "documents": kinds[kind].documents if kind in kinds else 0,
                "paths": paths.get(kind, []),
            }
            for kind in sorted(kinds.keys() | paths.keys())
        },
        "values": values,
        "unacknowledged": unacknowledged(session),
    }


def status(session: Session, now: datetime) -> dict[str, Any]:
    """The shape watch's part of ``status``: whether the shape is learned, the changes of the
    last 30 days (and any older not acknowledged), and how many are not acknowledged."""
    return {
        "learned_at": learned_at(session),
        "changes": changes(session, now - RECENT),
        "unacknowledged": unacknowledged(session),
    }


def panel(session: Session, now: datetime) -> dict[str, Any]:
    """The dashboard's "CQC data shape" panel: ``status`` plus documents read by kind."""
    kinds = {
        row.kind: {"documents": row.documents, "paths": 0}
        for row in session.scalars(select(SourceShapeKind))
    }
    rows = session.execute(
        select(SourceShapePath.kind, func.count()).group_by(SourceShapePath.kind)
    )
    for kind, count in rows:
        kinds.setdefault(kind, {"documents": 0, "paths": 0})["paths"] = count
    return {**status(session, now), "kinds": kinds}
