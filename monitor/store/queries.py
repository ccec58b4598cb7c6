"""Read-only queries behind ``history``, ``changes`` and ``alerts``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from monitor.domain.search_health import SEARCH_ID_PREFIX as SEARCH_PREFIX
from monitor.domain.wording import findings_line
from monitor.store.report_texts import location_texts
from monitor.store.tables import Delivery, EventRecord, Fetch, Location, SnapshotRecord

# Whom an event is about: its location's id, or ``search:NAME`` for one about a saved search
# (as the event's own ``location.id`` says).
_SUBJECT = func.coalesce(EventRecord.location_id, literal(SEARCH_PREFIX) + EventRecord.search)


def changes(
    session: Session,
    *,
    since: datetime | None = None,
    location_id: str | None = None,
    event_type: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Events newest first, each exactly as it was delivered."""
    query = select(EventRecord.payload).order_by(
        EventRecord.detected_at.desc(), EventRecord.id.desc()
    )
    if since is not None:
        query = query.where(EventRecord.detected_at >= since)
    if location_id and location_id.startswith(SEARCH_PREFIX):
        query = query.where(EventRecord.search == location_id.removeprefix(SEARCH_PREFIX))
    elif location_id:
        query = query.where(EventRecord.location_id == location_id)
    if event_type:
        query = query.where(EventRecord.type == event_type)
    if limit:
        query = query.limit(limit)
    return [dict(payload) for payload in session.scalars(query)]


def alerts(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(Delivery, EventRecord.type, _SUBJECT, EventRecord.summary)
        .join(EventRecord, EventRecord.id == Delivery.event_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    )
    if status:
        query = query.where(Delivery.status == status)
    return [
        {
            "id": delivery.id,
            "event_id": delivery.event_id,
            "sink": delivery.sink,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "event_type": event_type,
            "location_id": location_id,
            "summary": summary,
            "created_at": _iso(delivery.created_at),
            # When it is tried next, or for a held one the digest window it waits for.
            "next_attempt_at": _iso(delivery.next_attempt_at)
            if delivery.status in {"pending", "failed", "held"}
            else None,
            "sent_at": _iso(delivery.sent_at),
            "last_error": delivery.last_error,
        }
        for delivery, event_type, location_id, summary in session.execute(query)
    ]


def locations_of_providers(session: Session, providers: Sequence[str]) -> list[str]:
    """Active locations last seen under these providers."""
    query = select(Location.id).where(
        Location.provider_id.in_(list(providers)),
        Location.status == "active",
        Location.kind == "location",
    )
    return list(session.scalars(query.order_by(Location.id)))


def baselined(session: Session, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` CQC has answered for at least once (a baseline is stored)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found |= set(
            session.scalars(
                select(Location.id).where(Location.id.in_(chunk), Location.last_hash.is_not(None))
            )
        )
    return found


def location(session: Session, location_id: str) -> Location | None:
    return session.get(Location, location_id)


def watched_since(session: Session, location_id: str) -> datetime | None:
    return session.scalar(select(Location.watched_since).where(Location.id == location_id))


def history(session: Session, location_id: str) -> list[dict[str, Any]]:
    """One location's audit trail, oldest first: snapshots, events, deliveries, failed fetches."""
    entries = [*_snapshots(session, location_id), *_events(session, location_id)]
    entries += _deliveries(session, location_id) + _failures(session, location_id)
    entries += _report_texts(session, location_id)
    # Ties (one cycle writes a snapshot, its events and their deliveries at one moment) are
    # broken by kind, then by the row's own id: the same order in every format, every time.
    entries.sort(key=lambda entry: (entry["at"], _KIND_ORDER[entry["kind"]], _tiebreak(entry)))
    return entries


def _tiebreak(entry: dict[str, Any]) -> tuple[str, int]:
    event = entry.get("event") or {}
    return (
        str(event.get("id") or entry.get("event_id") or ""),
        int(entry.get("snapshot_id") or entry.get("delivery_id") or entry.get("fetch_id") or 0),
    )


_KIND_ORDER = {"snapshot": 0, "fetch_error": 1, "event": 2, "report_text": 3, "delivery": 4}


def _snapshots(session: Session, location_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            SnapshotRecord.id,
            SnapshotRecord.fetched_at,
            SnapshotRecord.content_hash,
            SnapshotRecord.data,
        )
        .where(SnapshotRecord.location_id == location_id)
        .order_by(SnapshotRecord.id)
    )
    return [
        {
            "at": _iso(row.fetched_at),
            "kind": "snapshot",
            "snapshot_id": row.id,
            "content_hash": row.content_hash,
            "name": row.data.get("name"),
            "registration_status": row.data.get("registration_status"),
            "ratings": _rating_map(row.data.get("ratings") or []),
            "latest_report": (row.data.get("reports") or [{}])[0].get("report_date"),
        }
        for row in rows
    ]


def _rating_map(ratings: list[dict[str, Any]]) -> dict[str, str]:
    """``{"Overall": "Good", "Safe": "Good", "Maternity – Safe": ...}`` for reading at a glance."""
    return {
        (f"{r['service']} – {r['question']}" if r.get("service") else r["question"]): r["rating"]
        for r in ratings
    }


def _events(session: Session, location_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(EventRecord)
        .where(EventRecord.location_id == location_id)
        .order_by(EventRecord.detected_at, EventRecord.id)
    ).scalars()
    return [
        {
            "at": _iso(row.detected_at),
            "kind": "event",
            "event": row.payload,
            "before_snapshot_id": row.before_snapshot_id,
            "after_snapshot_id": row.after_snapshot_id,
        }
        for row in rows
    ]


def _deliveries(session: Session, location_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Delivery, EventRecord.type, EventRecord.summary)
        .join(EventRecord, EventRecord.id == Delivery.event_id)
        .where(EventRecord.location_id == location_id)
        .order_by(Delivery.id)
    )
    return [
        {
            "at": _iso(row.sent_at or row.updated_at),
            "kind": "delivery",
            "delivery_id": row.id,
            "event_id": row.event_id,
            "event_type": event_type,
            "event_summary": summary,
            "sink": row.sink,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
        }
        for row, event_type, summary in rows
    ]


def _failures(session: Session, location_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Fetch)
        .where(Fetch.location_id == location_id, Fetch.outcome.in_(("error", "gone", "unknown")))
        .order_by(Fetch.fetched_at, Fetch.id)
    ).scalars()
    return [
        {
            "at": _iso(row.fetched_at),
            "kind": "fetch_error",
            "fetch_id": row.id,
            "source": row.source,
            "outcome": row.outcome,
            "http_status": row.http_status,
            "error": row.error,
        }
        for row in rows
    ]


def _findings_line(findings: dict[str, Any] | None) -> str | None:
    if not isinstance(findings, dict):
        return None
    return findings_line(findings) or "no breach, special measures or enforcement named"


def _report_texts(session: Session, location_id: str) -> list[dict[str, Any]]:
    """Each report text the monitor read (or tried to) for an alert, with its findings and
    the text itself."""
    return [
        {
            "at": _iso(row["read_at"] or row["created_at"]),
            "kind": "report_text",
            "link_id": row["link_id"],
            "report_date": row["report_date"],
            "status": row["status"],
            "source": row["source"],
            "attempts": row["attempts"],
            "findings": row["findings"],
            # The findings in one line, as every alert words them ("3 breaches of regulation ·
            # special measures"): what history prints without knowing the wording rules.
            "findings_line": _findings_line(row["findings"]),
            "error": row["last_error"],
            "event_id": row["findings_event_id"] or row["event_id"],
            "text_chars": row["text_chars"],
            "text": row["text"],
        }
        for row in location_texts(session, location_id)
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
