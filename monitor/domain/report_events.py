"""Findings in events: a new report's alert carries what its text says (SPEC §5.2, §5.3).

A ``new_inspection`` event is made with ``findings: null``; when the report's text is read in
the same cycle its findings go into the event itself, and its severity follows them. When the
text comes later, a ``report_findings`` event says what it found.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from monitor.domain.events import Event, Subject, about, event_id
from monitor.domain.wording import findings_line

if TYPE_CHECKING:  # the reader loads when a report's findings are in hand, not before
    from monitor.domain.findings import Findings

# The events that announce a report whose text says what it found.
ANNOUNCING = ("new_inspection", "provider_new_report")


def wants_text(event: Event) -> str | None:
    """The report link whose text this event is waiting for, if any."""
    if event.type not in ANNOUNCING or event.details.get("findings") is not None:
        return None
    link = event.details.get("report_link_id")
    return str(link) if link else None


def with_findings(event: Event, findings: Findings) -> Event:
    """The same event (same id: the idempotency key does not move) with its findings."""
    from monitor.domain.findings import findings_severity

    details = {**event.details, "findings": findings.to_dict()}
    return replace(event, details=details, severity=findings_severity(findings))


def report_findings(
    location: Subject,
    *,
    link_id: str,
    report_date: str | None,
    report_url: str | None,
    findings: Findings,
    detected_at: str,
) -> Event:
    """The findings of a report whose ``new_inspection`` went out before its text was read."""
    from monitor.domain.findings import findings_severity

    details: dict[str, Any] = {
        "report_link_id": link_id,
        "report_date": report_date,
        "report_url": report_url,
        "findings": findings.to_dict(),
    }
    said = findings_line(details["findings"]) or "no breach, special measures or enforcement"
    published = f" published {report_date}" if report_date else ""
    return Event(
        id=event_id(location.id, "report_findings", link_id),
        type="report_findings",
        severity=findings_severity(findings),
        detected_at=detected_at,
        **about(location),
        summary=f"{location.name}: the inspection report{published} found {said}.",
        details=details,
    )
