"""A year of monitoring for the dashboard benchmark, written straight into the store's tables.

Locations come from the simulator's register through the real parser (so snapshots, regions,
local authorities and ratings are realistic); a year of daily polls and monthly reviews is
then laid down as the store would have written it: cycles, a changed location's new snapshot
and its event, a delivery per event and sink (most sent, some retrying, a few dead), and 90
days of fetch log. Writing rows directly takes a minute where replaying 377 cycles would take
an hour; the pages read the same tables either way.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert, update

from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.snapshot import Rating, Snapshot
from monitor.sim import Population
from monitor.sources.api_document import parse_location
from monitor.store.repository import summary_values
from monitor.store.tables import Cycle, Delivery, EventRecord, Fetch, Location, SnapshotRecord

END = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
DAYS = 365
SINKS = ("ops-email", "partner-webhook", "board-email")
BUSIEST = 24  # snapshots of the location whose page is the heaviest
_BATCH = 2000
# (type, severity, share of a day's events)
_KINDS = (
    ("new_inspection", "info", 0.40),
    ("rating_changed", "warning", 0.20),
    ("rating_changed", "critical", 0.08),
    ("data_review", "info", 0.15),
    ("details_changed", "info", 0.12),
    ("registration_changed", "critical", 0.03),
    ("monitor_failing", "warning", 0.02),
)


def fill(engine: Engine, size: int, per_day: int, seed: int = 7) -> dict[str, Any]:
    """Writes the year into an empty, migrated database; returns what it wrote."""
    rng = random.Random(seed)
    population = Population.generate(size, seed=seed)
    snapshots = [parse_location(population.document(i)) for i in population.ids()]
    start = END - timedelta(days=DAYS)
    with engine.begin() as connection:
        cycles = _cycles(connection, start)
        _locations(connection, snapshots, rng, start)
        ids = _snapshots(connection, snapshots, cycles[0], start)
        events = _events(connection, rng, snapshots, ids, cycles, per_day)
        _link_latest(connection, snapshots, ids)
        deliveries = _deliveries(connection, rng, events)
        fetches = _fetches(connection, rng, snapshots, cycles)
    return {
        "locations": size,
        "events": len(events),
        "deliveries": deliveries,
        "fetches": fetches,
        "cycles": len(cycles),
        "busiest_location": snapshots[0].location_id,
        "typical_location": snapshots[size // 2].location_id,
        "provider": snapshots[0].provider_id,
    }


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def _write(connection: Any, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for batch in _batches(rows):
        connection.execute(insert(table), list(batch))


def _cycles(connection: Any, start: datetime) -> list[tuple[int, datetime]]:
    """A monthly full review every 30 days and a daily poll on the others, oldest first."""
    rows = []
    for day in range(DAYS + 1):
        moment = start + timedelta(days=day)
        kind = "full" if day % 30 == 0 else "incremental"
        rows.append(
            {
                "kind": kind,
                "trigger": "schedule",
                "started_at": moment,
                "finished_at": moment + timedelta(minutes=40 if kind == "full" else 1),
                "status": "completed",
            }
        )
    _write(connection, Cycle, rows)
    found = connection.execute(Cycle.__table__.select().order_by(Cycle.id)).all()
    return [(row.id, row.started_at) for row in found]


def _locations(
    connection: Any, snapshots: list[Snapshot], rng: random.Random, start: datetime
) -> None:
    rows = []
    for snapshot in snapshots:
        state = rng.random()
        rows.append(
            {
                "id": snapshot.location_id,
                "name": snapshot.name,
                "provider_id": snapshot.provider_id,
                "status": "gone" if state < 0.005 else "active",
                "first_seen_at": start,
                "watched_since": start,
                "last_checked_at": END,
                "last_changed_at": start,
                "last_hash": snapshot.content_hash(),
                "consecutive_failures": 2 if 0.005 <= state < 0.015 else 0,
                "failing_alerted": False,
                "last_error": "HTTP 503 from the CQC API" if 0.005 <= state < 0.015 else None,
                **summary_values(snapshot),
            }
        )
    _write(connection, Location, rows)


def _snapshots(
    connection: Any, snapshots: list[Snapshot], cycle: tuple[int, datetime], start: datetime
) -> dict[str, int]:
    rows = [
        {
            "location_id": s.location_id,
            "cycle_id": cycle[0],
            "fetched_at": start,
            "content_hash": s.content_hash(),
            "data": s.to_dict(),
        }
        for s in snapshots
    ]
    _write(connection, SnapshotRecord, rows)
    found = connection.execute(
        SnapshotRecord.__table__.select().with_only_columns(
            SnapshotRecord.location_id, SnapshotRecord.id
        )
    )
    return {row.location_id: row.id for row in found}


def _events(
    connection: Any,
    rng: random.Random,
    snapshots: list[Snapshot],
    snapshot_ids: dict[str, int],
    cycles: list[tuple[int, datetime]],
    per_day: int,
) -> list[tuple[str, datetime]]:
    """A day's events on random locations; the busiest location changes every two weeks."""
    kinds, weights = [k[:2] for k in _KINDS], [k[2] for k in _KINDS]
    rows, written = [], []
    for cycle_id, moment in cycles[1:]:
        day = (moment - cycles[0][1]).days
        chosen = rng.sample(range(len(snapshots)), per_day)
        if day % 15 == 0:
            chosen[0] = 0
        for index in chosen:
            kind, severity = rng.choices(kinds, weights)[0]
            event = _event(snapshots[index], kind, severity, moment, day)
            after = _new_snapshot(connection, snapshots, index, kind, cycle_id, moment)
            before = snapshot_ids[snapshots[index].location_id]
            snapshot_ids[snapshots[index].location_id] = after or before
            rows.append(_event_row(event, cycle_id, moment, before, after))
            written.append((event.id, moment))
    _write(connection, EventRecord, rows)
    return written


def _link_latest(connection: Any, snapshots: list[Snapshot], ids: dict[str, int]) -> None:
    """Each location points at its newest snapshot and shows its summary, as the store keeps."""
    statement = (
        update(Location)
        .where(Location.id == bindparam("key"))
        .values(last_snapshot_id=bindparam("snapshot"), overall_rating=bindparam("overall"))
    )
    rows = [
        {
            "key": s.location_id,
            "snapshot": ids[s.location_id],
            "overall": summary_values(s)["overall_rating"],
        }
        for s in snapshots
    ]
    for batch in _batches(rows):
        connection.execute(statement, list(batch))


def _event(snapshot: Snapshot, kind: str, severity: str, moment: datetime, day: int) -> Event:
    ref = LocationRef(snapshot.location_id, snapshot.name, snapshot.provider_id, snapshot.url)
    summary = f"{snapshot.name}: {kind.replace('_', ' ')} (day {day})."
    return Event(
        id=event_id(snapshot.location_id, kind, day),
        type=kind,
        severity=severity,
        detected_at=moment.isoformat().replace("+00:00", "Z"),
        location=ref,
        summary=summary,
        details={"report_date": moment.date().isoformat()},
    )


def _new_snapshot(
    connection: Any,
    snapshots: list[Snapshot],
    index: int,
    kind: str,
    cycle_id: int,
    moment: datetime,
) -> int | None:
    """A rating change stores the location's new snapshot, as the review cycle does."""
    if kind != "rating_changed" and index != 0:
        return None
    old = snapshots[index]
    rating = (
        "Requires improvement"
        if (old.rating("Overall") or Rating("", "")).rating == "Good"
        else "Good"
    )
    current = Rating("Overall", rating, date=moment.date().isoformat(), framework="assessment")
    new = replace(old, ratings=(current, *(r for r in old.ratings if r.key != current.key)))
    snapshots[index] = new
    row = {
        "location_id": new.location_id,
        "cycle_id": cycle_id,
        "fetched_at": moment,
        "content_hash": new.content_hash(),
        "data": new.to_dict(),
    }
    return int(
        connection.execute(insert(SnapshotRecord).returning(SnapshotRecord.id), row).scalar()
    )


def _event_row(
    event: Event, cycle_id: int, moment: datetime, before: int, after: int | None
) -> dict[str, Any]:
    return {
        "id": event.id,
        "location_id": event.location.id,
        "cycle_id": cycle_id,
        "type": event.type,
        "severity": event.severity,
        "detected_at": moment,
        "summary": event.summary,
        "payload": event.to_dict(),
        "before_snapshot_id": before,
        "after_snapshot_id": after,
    }


def _deliveries(connection: Any, rng: random.Random, events: list[tuple[str, datetime]]) -> int:
    rows = []
    for event, moment in events:
        for sink in SINKS:
            fate = rng.random()
            recent = moment >= END - timedelta(days=1)
            status = (
                "pending"
                if recent
                else "dead"
                if fate < 0.002
                else "failed"
                if fate < 0.004
                else "sent"
            )
            rows.append(
                {
                    "event_id": event,
                    "sink": sink,
                    "status": status,
                    "attempts": 0 if status == "pending" else 1 if status == "sent" else 12,
                    "created_at": moment,
                    "updated_at": moment + timedelta(minutes=1),
                    "next_attempt_at": moment + timedelta(minutes=30),
                    "sent_at": moment + timedelta(minutes=1) if status == "sent" else None,
                    "last_error": None
                    if status in ("sent", "pending")
                    else "HTTP 503 Service Unavailable",
                }
            )
    _write(connection, Delivery, rows)
    return len(rows)


def _fetches(
    connection: Any,
    rng: random.Random,
    snapshots: list[Snapshot],
    cycles: list[tuple[int, datetime]],
) -> int:
    """The fetch log's 90 days: full reviews of everything and each day's changed locations."""
    rows = []
    for cycle_id, moment in cycles[-90:]:
        full = (moment - cycles[0][1]).days % 30 == 0
        chosen = range(len(snapshots)) if full else rng.sample(range(len(snapshots)), 200)
        for index in chosen:
            failed = rng.random() < 0.01
            rows.append(
                {
                    "cycle_id": cycle_id,
                    "location_id": snapshots[index].location_id,
                    "source": "api",
                    "fetched_at": moment,
                    "outcome": "error" if failed else "unchanged",
                    "http_status": 503 if failed else 200,
                    "duration_ms": 80.0,
                    "size": 4000,
                    "error": "HTTP 503 from the CQC API" if failed else None,
                }
            )
    _write(connection, Fetch, rows)
    return len(rows)
