"""The learned shape of CQC's documents and the changes of it (SPEC §2.1.3), shared by every
process of a deployment. Callers own the transaction.

Counts are added with one upsert per row, rows in key order (two replicas adding at once wait
for each other instead of deadlocking). A change is claimed with an insert that does nothing
when its key is already there: of two replicas that see the same change at once, exactly one
gets the row back and reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.domain.events import LocationRef
from monitor.domain.shape_watch import VALUE_ADDED, Counts, Fresh, Novelty
from monitor.domain.snapshot import LOCATION_PAGE
from monitor.domain.vocabulary import value_key
from monitor.store.runstate import dialect_insert
from monitor.store.tables import (
    Location,
    SourceChange,
    SourceShapeBaseline,
    SourceShapeKind,
    SourceShapePath,
    SourceShapeValue,
)

Claim = tuple[Novelty, list[str]]


@dataclass(frozen=True, slots=True)
class Learned:
    """What the deployment has learned: counts per kind and path, values per vocabulary."""

    learned_at: datetime | None = None
    counts: dict[str, Counts] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, list[str]]:
        return {kind: list(counts.paths) for kind, counts in self.counts.items()}


def load_learned(session: Session) -> Learned:
    documents = dict(session.execute(select(SourceShapeKind.kind, SourceShapeKind.documents)).all())
    paths: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(SourceShapePath.kind, SourceShapePath.path, SourceShapePath.documents)
    )
    for kind, path, count in rows:
        paths.setdefault(kind, {})[path] = count
    values: dict[str, list[str]] = {}
    for name, value in session.execute(select(SourceShapeValue.field, SourceShapeValue.value)):
        values.setdefault(name, []).append(value)
    counts = {
        kind: Counts(documents.get(kind, 0), paths.get(kind, {}))
        for kind in documents.keys() | paths.keys()
    }
    return Learned(learned_at(session), counts, values)


def learned_at(session: Session) -> datetime | None:
    return session.scalar(select(SourceShapeBaseline.learned_at))


def mark_learned(session: Session, now: datetime, cycle_id: int | None) -> None:
    """The first full review has read its documents: what is new from now on is reported."""
    statement = dialect_insert(session)(SourceShapeBaseline).values(
        id=1, learned_at=now, cycle_id=cycle_id
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["id"]))


# --- counts -------------------------------------------------------------------------------------


def add_counts(session: Session, fresh: Fresh, now: datetime) -> None:
    """Add what was read since the last call to the deployment's counts."""
    kinds = [_seen({"kind": k}, c.documents, now) for k, c in sorted(fresh.kinds.items())]
    _upsert(session, SourceShapeKind, ["kind"], kinds)
    paths = [
        _seen({"kind": kind, "path": path}, count, now)
        for kind, counts in sorted(fresh.kinds.items())
        for path, count in sorted(counts.paths.items())
    ]
    _upsert(session, SourceShapePath, ["kind", "path"], paths)
    values = [
        _seen(
            {
                "field": name,
                "key": value_key(name, value),
                "value": value,
                "path": fresh.paths_of_values[(name, value)],
            },
            count,
            now,
        )
        for (name, value), count in fresh.values.items()
    ]
    # Two spellings of one value are one row: their counts are added up first.
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in values:
        held = merged.setdefault((row["field"], row["key"]), row)
        if held is not row:
            held["documents"] += row["documents"]
    _upsert(session, SourceShapeValue, ["field", "key"], [merged[k] for k in sorted(merged)])


def _seen(keys: dict[str, Any], documents: int, now: datetime) -> dict[str, Any]:
    return {**keys, "documents": documents, "first_seen_at": now, "last_seen_at": now}


def _upsert(session: Session, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = dialect_insert(session)(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            "documents": table.documents + statement.excluded.documents,
            "last_seen_at": statement.excluded.last_seen_at,
        },
    )
    session.execute(statement, rows)


# --- changes -------------------------------------------------------------------------------------


def claim(
    session: Session, found: Sequence[Claim], now: datetime, cycle_id: int | None
) -> list[Claim]:
    """Record each change unless another process (or cycle) already has: returns the ones
    this call recorded, which are this caller's to report. What is claimed becomes learned."""
    claimed: list[Claim] = []
    for novelty, examples in sorted(found, key=lambda item: item[0].key):
        statement = dialect_insert(session)(SourceChange).values(
            key=novelty.key[:400],
            change=novelty.change,
            kind=novelty.kind,
            path=novelty.path[:300],
            field=novelty.field,
            value=novelty.value,
            examples=list(examples),
            first_seen_at=now,
            cycle_id=cycle_id,
        )
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
        if session.scalar(statement.returning(SourceChange.id)) is not None:
            claimed.append((novelty, list(examples)))
        _learn(session, novelty, now)
    return claimed


def _learn(session: Session, novelty: Novelty, now: datetime) -> None:
    """A new path or value is known from the moment it is recorded (counted as it is read)."""
    if novelty.change == VALUE_ADDED:
        assert novelty.field is not None and novelty.value is not None
        row = {
            "field": novelty.field,
            "key": value_key(novelty.field, novelty.value),
            "value": novelty.value,
            "path": novelty.path,
        }
        _insert_absent(session, SourceShapeValue, ["field", "key"], _seen(row, 0, now))
    elif novelty.change == "path_added":
        row = {"kind": novelty.kind, "path": novelty.path}
        _insert_absent(session, SourceShapePath, ["kind", "path"], _seen(row, 0, now))


def _insert_absent(session: Session, table: Any, keys: list[str], row: dict[str, Any]) -> None:
    statement = dialect_insert(session)(table).values(**row)
    session.execute(statement.on_conflict_do_nothing(index_elements=keys))


def link_event(session: Session, keys: Iterable[str], event_id: str) -> None:
    session.execute(
        update(SourceChange).where(SourceChange.key.in_(list(keys))).values(event_id=event_id)
    )


def example_location(session: Session, examples: Sequence[str]) -> LocationRef | None:
    """The location a change's event is filed under: its first example the monitor knows, or
    (a change-feed page that lists no watched location) the first location it watches."""
    rows = {
        row.id: row
        for row in session.execute(
            select(Location.id, Location.name, Location.provider_id).where(
                Location.id.in_(list(examples))
            )
        )
    }
    row = next((rows[i] for i in examples if i in rows), None)
    if row is None:
        row = session.execute(
            select(Location.id, Location.name, Location.provider_id)
            .where(Location.status == "active", Location.kind == "location")
            .order_by(Location.id)
            .limit(1)
        ).first()
    if row is None:
        return None
    url = LOCATION_PAGE.format(id=row.id)
    return LocationRef(id=row.id, name=row.name or row.id, provider_id=row.provider_id, url=url)
