"""Realistic events for sink and delivery tests, built with the domain's own types."""

from __future__ import annotations

from typing import Any

from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.snapshot import LOCATION_PAGE, REPORT_PAGE
from monitor.sinks.base import Alert

Where = tuple[str, str, str | None]  # location id, name, provider id

HENLEY = ("1-10000302982", "Henley House", "1-102642938")
LUCERNE = ("1-125856395", "Lucerne House", "1-101641475")
ALLIED = ("1-134558905", "Allied Healthcare Bournemouth", "1-102643054")


def location(where: Where) -> LocationRef:
    location_id, name, provider_id = where
    return LocationRef(location_id, name, provider_id, LOCATION_PAGE.format(id=location_id))


def change(
    question: str,
    old: str | None,
    new: str | None,
    direction: str = "declined",
    service: str | None = None,
) -> dict[str, Any]:
    return {
        "question": question,
        "service": service,
        "old": old,
        "new": new,
        "direction": direction,
    }


def make_event(
    event_type: str,
    where: Where = HENLEY,
    *,
    severity: str = "info",
    summary: str | None = None,
    **details: Any,
) -> Event:
    ref = location(where)
    return Event(
        id=event_id(ref.id, event_type, details),
        type=event_type,
        severity=severity,
        detected_at="2025-11-03T07:00:12Z",
        location=ref,
        summary=summary or f"{ref.name}: {event_type.replace('_', ' ')}.",
        details=details,
    )


def rating_event(
    where: Where = HENLEY,
    *changes: dict[str, Any],
    severity: str = "critical",
    link_id: str = "0b9e1a52-5d0e-4c83-9d5b-3f0f4b2f1c11",
) -> Event:
    changes = changes or (
        change("Safe", "Good", "Requires improvement"),
        change("Overall", "Good", "Requires improvement"),
    )
    return make_event(
        "rating_changed",
        where,
        severity=severity,
        summary=f"{where[1]}: rating went down after the inspection published 2025-10-29.",
        changes=list(changes),
        report_date="2025-10-29",
        report_link_id=link_id,
        report_url=REPORT_PAGE.format(location_id=where[0], link_id=link_id),
    )


def inspection_event(where: Where = LUCERNE) -> Event:
    link_id = "5c1e0c1e-0a8e-4a55-8f7e-2f8f1c0d9a01"
    return make_event(
        "new_inspection",
        where,
        summary=f"{where[1]}: a new inspection report was published on 2025-10-30.",
        report_link_id=link_id,
        report_date="2025-10-30",
        first_visit_date="2025-09-16",
        report_type="Location",
        report_url=REPORT_PAGE.format(location_id=where[0], link_id=link_id),
    )


# Constructed findings, as the reader gives them for a report in special measures.
FINDINGS = {
    "source": "report_text",
    "breaches": 8,
    "regulations": ["Regulation 12: Safe care and treatment", "Regulation 17: Good governance"],
    "special_measures": "placed",
    "enforcement": ["urgent_action"],
    "summary": "We found eight breaches of the legal regulations. The service is unsafe.",
}


def findings_event(where: Where = HENLEY, findings: dict[str, Any] | None = None) -> Event:
    """A new report whose text was read in its cycle: its findings in the event."""
    event = inspection_event(where)
    details = {**event.details, "findings": FINDINGS if findings is None else findings}
    return Event(
        event.id, "new_inspection", "critical", event.detected_at, event.location,
        f"New CQC inspection report published for {where[1]} (report date 2025-10-30).",
        details,
    )  # fmt: skip


def deregistered_event(where: Where = ALLIED) -> Event:
    return make_event(
        "registration_changed",
        where,
        severity="critical",
        summary=f"{where[1]} was deregistered on 2025-10-31.",
        old="Registered",
        new="Deregistered",
        deregistration_date="2025-10-31",
    )


def alerts(*events: Event, first_id: int = 101) -> list[Alert]:
    return [Alert(first_id + index, event) for index, event in enumerate(events)]
