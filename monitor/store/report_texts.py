"""Report texts in the audit trail: once per report, compressed, with their findings and the
attempts to read them (SPEC §2.3, §5.3, §7). Functions work in the caller's session and never
commit."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from monitor.store.repository import FetchLog
from monitor.store.runstate import dialect_insert
from monitor.store.tables import Location, ReportText

if TYPE_CHECKING:
    from monitor.domain.findings import Findings

PENDING, READ, FAILED = "pending", "read", "failed"
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Known:
    """What the store already has of a report."""

    link_id: str
    status: str
    attempts: int
    findings: Findings | None


@dataclass(frozen=True, slots=True)
class Reading:
    """One attempt at a report's words, to be recorded (read, or not this time)."""

    link_id: str
    location_id: str
    report_date: str | None
    report_uri: str | None
    attempted: bool  # the API's text was asked for (it counts towards the retry limit)
    source: str | None = None
    text: str | None = None
    findings: Findings | None = None
    error: str | None = None
    http_status: int | None = None
    event_id: str | None = None  # the new_inspection announcing the report
    findings_event_id: str | None = None  # the event carrying the findings
    retry_at: datetime | None = None  # when a later cycle may try again, if not read
    give_up: bool = False  # nothing more to try (no text to ask for)
    fetch: FetchLog | None = None  # the request for the text, for the fetch log


@dataclass(frozen=True, slots=True)
class Pending:
    """A report whose text later cycles still try to read."""

    link_id: str
    location_id: str
    location_name: str | None
    provider_id: str | None
    report_date: str | None
    report_uri: str | None
    attempts: int
    kind: str = "location"  # or "provider": a provider's own report


def known(session: Session, link_ids: Iterable[str]) -> dict[str, Known]:
    wanted = list(dict.fromkeys(link_ids))
    found: dict[str, Known] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(
                ReportText.link_id, ReportText.status, ReportText.attempts, ReportText.findings
            ).where(ReportText.link_id.in_(wanted[start : start + _CHUNK]))
        )
        for row in rows:
            findings = _findings(row.findings) if row.findings else None
            found[row.link_id] = Known(row.link_id, row.status, row.attempts, findings)
    return found


def record(
    session: Session,
    readings: Sequence[Reading],
    *,
    now: datetime,
    cycle_id: int | None,
    max_attempts: int,
) -> None:
    """Write what each reading found: a new row, or the next state of a pending one. A
    report already read keeps its text and findings: each is read at most once."""
    for reading in readings:
        insert = dialect_insert(session)(ReportText).values(
            link_id=reading.link_id,
            location_id=reading.location_id,
            report_date=reading.report_date,
            report_uri=reading.report_uri,
            status=PENDING,
            attempts=0,
            serious=False,
            event_id=reading.event_id,
            cycle_id=cycle_id,
            created_at=now,
        )
        session.execute(insert.on_conflict_do_nothing(index_elements=["link_id"]))
        session.execute(
            update(ReportText)
            .where(ReportText.link_id == reading.link_id, ReportText.status == PENDING)
            .values(_next_state(reading, now, max_attempts))
        )


def _next_state(reading: Reading, now: datetime, max_attempts: int) -> dict[str, Any]:
    tries = ReportText.attempts + (1 if reading.attempted else 0)
    if reading.findings is None or reading.text is None:
        return {
            "attempts": tries,
            "last_error": reading.error,
            "http_status": reading.http_status,
            "next_attempt_at": reading.retry_at,
            # Given up once the attempts reach the limit; a row never tried stays pending.
            "status": FAILED
            if reading.give_up
            else case((tries >= max_attempts, FAILED), else_=PENDING),
        }
    data = reading.text.encode("utf-8", "surrogatepass")
    return {
        "attempts": tries,
        "status": READ,
        "source": reading.findings.source,
        "text": zlib.compress(data, 6),
        "text_chars": len(reading.text),
        "text_sha256": hashlib.sha256(data).hexdigest(),
        "findings": reading.findings.to_dict(),
        "serious": reading.findings.serious,
        "http_status": reading.http_status,
        "last_error": None,
        "next_attempt_at": None,
        "findings_event_id": reading.findings_event_id,
        "read_at": now,
    }


def due(session: Session, now: datetime, *, limit: int) -> list[Pending]:
    """Reports whose text a cycle should try again, oldest first."""
    rows = session.execute(
        select(
            ReportText.link_id,
            ReportText.location_id,
            Location.name,
            Location.provider_id,
            ReportText.report_date,
            ReportText.report_uri,
            ReportText.attempts,
            Location.kind,
        )
        .join(Location, Location.id == ReportText.location_id)
        .where(
            ReportText.status == PENDING,
            ReportText.report_uri.is_not(None),
            (ReportText.next_attempt_at.is_(None)) | (ReportText.next_attempt_at <= now),
        )
        .order_by(ReportText.created_at, ReportText.link_id)
        .limit(limit)
    )
    return [Pending(*row) for row in rows]


def location_texts(
    session: Session, location_id: str, *, with_text: bool = True
) -> list[dict[str, Any]]:
    """A location's report texts, newest report first: state, findings and (``with_text``)
    the text itself."""
    columns = [getattr(ReportText, name) for name in _DESCRIBED]
    if with_text:
        columns.append(ReportText.text)
    rows = session.execute(
        select(*columns)
        .where(ReportText.location_id == location_id)
        .order_by(ReportText.report_date.desc(), ReportText.created_at.desc())
    )
    return [_described(dict(row._mapping)) for row in rows]


def report_text(session: Session, link_id: str) -> dict[str, Any] | None:
    """One report's text and findings (None: the monitor never read or tried it)."""
    columns = [getattr(ReportText, name) for name in (*_DESCRIBED, "text")]
    row = session.execute(select(*columns).where(ReportText.link_id == link_id)).first()
    return _described(dict(row._mapping)) if row is not None else None


_DESCRIBED = (
    "link_id",
    "location_id",
    "report_date",
    "report_uri",
    "status",
    "attempts",
    "source",
    "findings",
    "last_error",
    "http_status",
    "event_id",
    "findings_event_id",
    "created_at",
    "read_at",
    "text_chars",
)


def _described(row: Mapping[str, Any]) -> dict[str, Any]:
    described = {name: row[name] for name in _DESCRIBED}
    if "text" in row:
        described["text"] = decompressed(row["text"])
    return described


def _findings(data: dict[str, Any]) -> Findings:
    from monitor.domain.findings import Findings  # the reader loads only with stored findings

    return Findings.from_dict(data)


def decompressed(data: bytes | None) -> str | None:
    return zlib.decompress(data).decode("utf-8", "surrogatepass") if data is not None else None


def counts(session: Session) -> dict[str, int]:
    """Report texts by state: pending (still being read), read, failed (given up)."""
    rows = session.execute(select(ReportText.status, func.count()).group_by(ReportText.status))
    return {status: count for status, count in rows}


def serious_findings_events() -> Select[Any]:
    """Ids of the events that carried findings of special measures or enforcement beyond a
    requirement notice (the dashboard's Changes filter)."""
    return select(ReportText.findings_event_id).where(
        ReportText.serious.is_(True), ReportText.findings_event_id.is_not(None)
    )
