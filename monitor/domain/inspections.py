"""New inspections and website timeline entries, from either source, reported once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from monitor.domain.carry import last_reports
from monitor.domain.events import Event
from monitor.domain.snapshot import Report, Snapshot, TimelineEntry

MakeEvent = Callable[[str, str, str, dict[str, Any]], Event]  # (type, severity, summary, details)

# A website timeline entry and an API report describe the same inspection when the
# timeline date falls within this many days of the report's first visit. CQC's page shows
# the visit date(s); the API's firstVisitDate is the first of them, occasionally off by a
# few days where an inspection ran over a week or was re-dated on publication.
SAME_INSPECTION_DAYS = 7


def inspection_events(make: MakeEvent, previous: Snapshot, current: Snapshot) -> list[Event]:
    known = set(last_reports(previous))  # a report a document left out is not news on return
    seen_on_site = _inspections(previous.timeline or ())
    events = []
    for report in current.reports:
        if report.link_id in known or any(_same_inspection(e, report) for e in seen_on_site):
            continue
        events.append(_report_event(make, current, report))
    return events


def _report_event(make: MakeEvent, current: Snapshot, report: Report) -> Event:
    details = {
        "report_link_id": report.link_id,
        "report_date": report.report_date,
        "first_visit_date": report.first_visit_date,
        "report_type": report.report_type,
        "report_url": report.url,
        # Read from the report's text by the cycle, when it can be (SPEC §5.3).
        "findings": None,
    }
    when = f" (report date {report.report_date})" if report.report_date else ""
    summary = f"New CQC inspection report published for {current.name}{when}."
    return make("new_inspection", "info", summary, details)


def timeline_events(make: MakeEvent, previous: Snapshot, current: Snapshot) -> list[Event]:
    # No events while either side lacks a timeline: switching the website source on (or
    # off) must not look like a flood of new entries.
    if previous.timeline is None or current.timeline is None:
        return []
    known = set(previous.timeline)
    events = []
    for entry in current.timeline:
        if entry in known or _entry_known(entry, previous.timeline):
            continue
        if entry.kind == "data_review":
            events.append(_review_event(make, current, entry))
        elif not any(_same_inspection(entry, r) for r in current.reports):
            events.append(_site_inspection_event(make, current, entry))
    return events


def _entry_known(entry: TimelineEntry, timeline: tuple[TimelineEntry, ...]) -> bool:
    # CQC edits summaries after publication; the same dated entry of the same kind is old news.
    return any(e.date == entry.date and e.kind == entry.kind for e in timeline)


def _review_event(make: MakeEvent, current: Snapshot, entry: TimelineEntry) -> Event:
    summary = f"CQC carried out a monthly review of its data on {current.name} ({entry.date})."
    return make("data_review", "info", summary, {"date": entry.date, "text": entry.summary})


def _site_inspection_event(make: MakeEvent, current: Snapshot, entry: TimelineEntry) -> Event:
    # The reader (its wordings compiled at import) loads with the first inspection it reads:
    # a cycle in which nothing was inspected never pays for it.
    from monitor.domain.findings import findings_severity, read_findings

    findings = read_findings(entry.summary, source="website", location_name=current.name)
    details = {
        "report_link_id": None,
        "report_date": None,
        "first_visit_date": entry.date,
        "report_type": entry.label,
        "report_url": current.url + "/reports",
        # The website's own summary of the inspection is its text.
        "findings": findings.to_dict(),
    }
    summary = f"CQC website lists a new inspection of {current.name} ({entry.date}: {entry.label})."
    return make("new_inspection", findings_severity(findings), summary, details)


def _inspections(timeline: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    return [entry for entry in timeline if entry.kind != "data_review"]


def website_summary(report: Report, timeline: Iterable[TimelineEntry] | None) -> str | None:
    """The website's summary of the same inspection as ``report`` (one entry, or none)."""
    entries = [e for e in timeline or () if _same_inspection(e, report) and e.summary]
    return entries[0].summary if len(entries) == 1 else None


def _same_inspection(entry: TimelineEntry, report: Report) -> bool:
    if entry.kind == "data_review" or not report.first_visit_date:
        return False
    visit = _day(report.first_visit_date)
    first, last = _day(entry.date), _day(entry.last_date)
    if visit is None or first is None:
        return False
    last = last or first
    return (first - visit).days <= SAME_INSPECTION_DAYS and (
        visit - last
    ).days <= SAME_INSPECTION_DAYS


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
