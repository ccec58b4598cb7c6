"""Findings in events: severity from what the report found (SPEC 5.2), one line of wording for
every sink, and a later report_findings event."""

from __future__ import annotations

import pytest

from monitor.domain.events import Event, LocationRef
from monitor.domain.findings import Findings, findings_severity
from monitor.domain.report_events import report_findings, wants_text, with_findings
from monitor.domain.wording import findings_line

HENLEY = LocationRef("1-10000302982", "Henley House", "1-102642938", "https://x/1-10000302982")


@pytest.mark.parametrize(
    ("findings", "severity"),
    [
        (Findings("report_text", special_measures="placed"), "critical"),
        (Findings("report_text", special_measures="remains"), "critical"),
        (Findings("report_text", enforcement=("urgent_action",)), "critical"),
        (Findings("report_text", enforcement=("warning_notice",)), "critical"),
        (Findings("report_text", enforcement=("suspension",)), "critical"),
        (Findings("report_text", enforcement=("cancellation",)), "critical"),
        (Findings("report_text", breaches=2, enforcement=("requirement_notice",)), "warning"),
        (Findings("report_text", breaches=1), "warning"),
        (Findings("report_text", special_measures="removed", breaches=0), "info"),
        (Findings("report_text"), "info"),
        (None, "info"),
    ],
)
def test_severity_follows_the_findings(findings: Findings | None, severity: str) -> None:
    assert findings_severity(findings) == severity


def test_the_findings_line() -> None:
    found = Findings(
        "report_text",
        breaches=8,
        special_measures="placed",
        enforcement=("urgent_action", "conditions"),
    )
    assert findings_line(found.to_dict()) == (
        "8 breaches of regulation · special measures · urgent action · conditions on registration"
    )
    assert findings_line({"breaches": 1}) == "1 breach of regulation"
    assert findings_line({"breaches": 0, "special_measures": "removed"}) == (
        "no breaches of regulation · out of special measures"
    )
    assert findings_line({"special_measures": "remains"}) == "still in special measures"
    assert findings_line(Findings("website").to_dict()) == ""


def inspection() -> Event:
    details = {"report_link_id": "rep-1", "report_date": "2026-11-20", "findings": None}
    return Event("evt_1", "new_inspection", "info", "2026-11-21T07:00:00Z", HENLEY, "New.", details)


def test_findings_go_into_the_event_keeping_its_id() -> None:
    event = inspection()
    assert wants_text(event) == "rep-1"
    found = Findings("report_text", breaches=3, special_measures="placed")
    enriched = with_findings(event, found)
    assert (enriched.id, enriched.severity) == ("evt_1", "critical")
    assert enriched.details["findings"]["breaches"] == 3
    assert wants_text(enriched) is None


def test_a_later_report_findings_event() -> None:
    found = Findings("report_text", breaches=3, special_measures="placed")
    event = report_findings(
        HENLEY,
        link_id="rep-1",
        report_date="2026-11-20",
        report_url="https://x/rep-1",
        findings=found,
        detected_at="2026-11-22T07:00:00Z",
    )
    again = report_findings(
        HENLEY,
        link_id="rep-1",
        report_date="2026-11-20",
        report_url="https://x/rep-1",
        findings=found,
        detected_at="2026-11-23T07:00:00Z",
    )
    assert event.id == again.id  # one report, one findings event, however often detected
    assert (event.type, event.severity) == ("report_findings", "critical")
    assert event.summary == (
        "Henley House: the inspection report published 2026-11-20 found "
        "3 breaches of regulation · special measures."
    )
    assert event.details == {
        "report_link_id": "rep-1",
        "report_date": "2026-11-20",
        "report_url": "https://x/rep-1",
        "findings": found.to_dict(),
    }
    assert Event.from_dict(event.to_dict()) == event
