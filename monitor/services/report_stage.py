"""The review cycle's report texts: foreseen before a batch is written, read outside any
transaction, attached to its events and recorded with them; pending ones retried at the end
of the cycle (``report_findings``).

Reading is done before the batch's transaction opens, not inside it: that transaction holds
the cycle row's lock, and a lock held across HTTP requests would stall the lease renewals
other replicas watch. The batch's decisions are foreseen for it with the same pure ``decide``
(only for locations whose content moved: a steady location costs nothing here), and the write
transaction decides again: an event the foresight missed simply goes without findings.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.decide import LocationState
from monitor.domain.events import Event, LocationRef, ProviderRef, Subject
from monitor.domain.inspections import website_summary
from monitor.domain.report_events import report_findings, wants_text
from monitor.domain.snapshot import (
    LOCATION_PAGE,
    PROVIDER_PAGE,
    PROVIDER_REPORT_PAGE,
    REPORT_PAGE,
    Snapshot,
)
from monitor.services.observe import Gathered
from monitor.services.report_texts import TextReader, Wanted, attach, to_record
from monitor.services.routing import Router
from monitor.sources.report_text import assessment_narrative
from monitor.store import cycles, outbox
from monitor.store import report_texts as store
from monitor.store.cycles import CycleLease
from monitor.store.memberships import load_memberships
from monitor.store.report_texts import Reading
from monitor.store.repository import (
    Applied,
    insert_new_event,
    load_snapshots,
    load_states,
    log_fetches,
)

log = structlog.get_logger(__name__)
# The events a fetch will make (the review's pure decision, foreseen).
Foresee = Callable[[Gathered, LocationState, Snapshot | None, datetime], list[Event]]


class ReportStage:
    def __init__(
        self,
        reader: TextReader,
        sessions: sessionmaker[Session],
        *,
        searches: Sequence[str] = (),
    ) -> None:
        self.reader = reader
        self.sessions = sessions
        self.searches = searches  # names of the saved searches, for routing

    # -- a batch --------------------------------------------------------------------------

    def read_for(
        self, batch: Sequence[Gathered], decide: Foresee, now: datetime
    ) -> dict[str, Reading]:
        """The texts this batch's new reports need, read now (before its transaction)."""
        wanted = self._foresee(batch, decide, now)
        if not wanted:
            return {}
        with self.sessions() as session:
            known = store.known(session, [want.link_id for want in wanted])
        return self.reader.read(wanted, known)

    def _foresee(self, batch: Sequence[Gathered], decide: Foresee, now: datetime) -> list[Wanted]:
        seen = [g for g in batch if g.observation.snapshot is not None]
        if not seen:
            return []
        with self.sessions() as session:
            states = load_states(session, [g.observation.location_id for g in seen])
            moving = [
                g for g in seen if _may_announce(states.get(g.observation.location_id), g, now)
            ]
            previous = load_snapshots(
                session,
                [
                    state.last_snapshot_id
                    for g in moving
                    if (state := states.get(g.observation.location_id)) and state.last_snapshot_id
                ],
            )
        wanted: list[Wanted] = []
        for gathered in moving:
            location_id = gathered.observation.location_id
            state = states.get(location_id) or LocationState(id=location_id, watched_since=now)
            before = previous.get(state.last_snapshot_id) if state.last_snapshot_id else None
            wanted += _wanted(gathered, decide(gathered, state, before, now))
        return wanted

    def attach(self, items: Iterable[Applied], readings: Mapping[str, Reading]) -> None:
        attach(items, readings)

    def record(
        self,
        session: Session,
        items: Sequence[Applied],
        readings: Mapping[str, Reading],
        batch: Sequence[Gathered],
        *,
        now: datetime,
        cycle_id: int | None,
    ) -> None:
        """In the batch's transaction, after its events: each announced report's reading."""
        uris = {link: uri for g in batch for link, uri in _report_uris(g.document).items()}
        recorded = to_record(items, readings, uris)
        if recorded:
            store.record(
                session,
                recorded,
                now=now,
                cycle_id=cycle_id,
                max_attempts=self.reader.options.read_attempts,
            )

    # -- the end of a cycle ------------------------------------------------------------------

    def retry(self, lease: CycleLease, routes: Router, now: datetime) -> list[Event]:
        """Read again what earlier cycles could not; each report read makes its
        ``report_findings`` event, routed and written with the report's row."""
        if self.reader.source is None:
            return []
        with self.sessions() as session:
            pending = store.due(session, now, limit=self.reader.options.retry_batch)
        if not pending:
            return []
        wanted = [
            Wanted(p.link_id, p.location_id, p.location_name, p.report_date, p.report_uri,
                   attempts=p.attempts)
            for p in pending
        ]  # fmt: skip
        readings = self.reader.read(wanted, {})
        written: list[Event] = []
        with self.sessions.begin() as session:
            cycles.hold(session, lease)
            recorded = []
            for item in pending:
                reading = readings[item.link_id]
                if reading.fetch is not None:
                    log_fetches(session, [reading.fetch], cycle_id=lease.cycle_id, outcome="read")
                if reading.findings is not None:
                    ref = _reported_on(item)
                    page = PROVIDER_REPORT_PAGE if item.kind == "provider" else REPORT_PAGE
                    event = report_findings(
                        ref,
                        link_id=item.link_id,
                        report_date=item.report_date,
                        report_url=page.format(
                            location_id=ref.id, provider_id=ref.id, link_id=item.link_id
                        ),
                        findings=reading.findings,
                        detected_at=now.isoformat().replace("+00:00", "Z"),
                    )
                    if insert_new_event(session, event, cycle_id=lease.cycle_id, now=now):
                        belongs = self._belongs(session, item.location_id)
                        outbox.enqueue(session, event, routes(event, belongs), now)
                        written.append(event)
                    reading = replace(reading, findings_event_id=event.id)
                recorded.append(reading)
            store.record(
                session,
                recorded,
                now=now,
                cycle_id=lease.cycle_id,
                max_attempts=self.reader.options.read_attempts,
            )
            cycles.add_counts(session, lease, {"events": len(written)})
        if written:
            log.info("report_findings", events=len(written), read=len(written), tried=len(pending))
        return written

    def _belongs(self, session: Session, location_id: str) -> Collection[str]:
        names = list(self.searches)
        if not names:
            return ()
        rows = load_memberships(session, [location_id], names).get(location_id, {})
        return {name for name, row in rows.items() if row.state == "member"}


def _reported_on(item: store.Pending) -> Subject:
    """Whom a report read later is about: a location, or a provider rated as a whole."""
    name = item.location_name or item.location_id
    if item.kind == "provider":
        return ProviderRef(item.location_id, name, PROVIDER_PAGE.format(id=item.location_id))
    return LocationRef(
        item.location_id, name, item.provider_id, LOCATION_PAGE.format(id=item.location_id)
    )


def _may_announce(state: LocationState | None, gathered: Gathered, now: datetime) -> bool:
    """Whether this fetch can make a new_inspection at all: cheap, and never wrong the other
    way (the write decides again). A steady location cannot; a first sight only for reports
    published since the id entered the watchlist."""
    snapshot = gathered.observation.snapshot
    assert snapshot is not None
    if state is not None and state.last_hash == snapshot.content_hash():
        return False
    if state is None or state.last_snapshot_id is None:
        day = (state.watched_since if state and state.watched_since else now).date().isoformat()
        return any((report.report_date or "") >= day for report in snapshot.reports)
    return True


def _wanted(gathered: Gathered, events: Iterable[Event]) -> list[Wanted]:
    snapshot = gathered.observation.snapshot
    assert snapshot is not None
    reports = {report.link_id: report for report in snapshot.reports}
    uris = _report_uris(gathered.document)
    wanted = []
    for event in events:
        link = wants_text(event)
        report = reports.get(link) if link else None
        if link is None or report is None:
            continue
        wanted.append(
            Wanted(
                link_id=link,
                location_id=snapshot.location_id,
                location_name=snapshot.name,
                report_date=report.report_date,
                report_uri=uris.get(link),
                narrative=assessment_narrative(gathered.document, link, report.report_date),
                website=website_summary(report, snapshot.timeline),
            )
        )
    return wanted


def _report_uris(document: Any) -> dict[str, str]:
    """link id → ``reportUri`` as the document gives it (query suffix and all)."""
    found: dict[str, str] = {}
    reports = document.get("reports") if isinstance(document, dict) else None
    for item in reports if isinstance(reports, list) else ():
        if isinstance(item, dict):
            link, uri = item.get("linkId"), item.get("reportUri")
            if isinstance(link, str) and isinstance(uri, str) and uri.strip():
                found[link] = uri
    return found
