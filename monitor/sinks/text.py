"""Human wording of events, shared by the email, Apprise and console sinks.

Pure functions over ``Event``: every sink says the same thing the same way, and the
email's HTML part is built from the same ``Line`` values as its text part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.domain.events import Event, severity_rank
from monitor.domain.ratings import SCALE, question_order
from monitor.domain.wording import findings_line, source_label
from monitor.sinks.search_text import SEARCH_EVENTS, search_headline, search_lines
from monitor.sinks.source_text import source_headline, source_lines

ARROW = "→"


@dataclass(frozen=True, slots=True)
class Line:
    """One labelled fact of an event, e.g. ``Safe: Good → Requires improvement``."""

    label: str
    value: str
    tone: str | None = None  # declined | improved: lets HTML colour the value

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


def ordered_changes(changes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Location-level ratings first (Overall, Safe, Effective, ...), then each service's."""
    return sorted(
        changes,
        key=lambda change: (
            change.get("service") is not None,
            change.get("service") or "",
            question_order(str(change.get("question"))),
        ),
    )


def change_label(change: dict[str, Any]) -> str:
    question = str(change.get("question"))
    service = change.get("service")
    return f"{question} ({service})" if service else question


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def _change_value(change: dict[str, Any]) -> str:
    return f"{_shown(change.get('old'))} {ARROW} {_shown(change.get('new'))}"


def _decline_size(change: dict[str, Any]) -> int:
    old, new = change.get("old"), change.get("new")
    if old in SCALE and new in SCALE:
        return SCALE[old] - SCALE[new]
    return 0


def key_change(changes: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The change a subject line names: Overall if present, else the worst decline."""
    ordered = ordered_changes(changes)
    if not ordered:
        return None
    for change in ordered:
        if change.get("question") == "Overall":
            return change
    worst = max(ordered, key=_decline_size)  # max keeps the first of equals: question order
    return worst if _decline_size(worst) > 0 else ordered[0]


def headline(event: Event) -> str:
    """What happened, in a few words: the part of a subject after the location name."""
    details = event.details
    if event.base_type == "rating_changed":
        change = key_change(details.get("changes") or [])
        return f"{change_label(change)} {_change_value(change)}" if change else "rating changed"
    if event.type == "registration_changed":
        new = _shown(details.get("new"))
        return "deregistered" if new == "Deregistered" else f"registration {new}"
    if event.type == "details_changed":
        fields = [str(item.get("field")) for item in details.get("changes") or []]
        return f"details changed ({', '.join(fields)})" if fields else "details changed"
    if event.type == "monitor_failing":
        return f"monitoring failing ({details.get('consecutive_failures')} checks in a row)"
    if event.type in SEARCH_EVENTS:
        return search_headline(event)
    if event.type == "source_changed":
        return source_headline(event)
    found = details.get("findings")
    if event.base_type in ("new_inspection", "report_findings") and isinstance(found, dict):
        said = findings_line(found) or "no breach, special measures or enforcement named"
        lead = "new inspection report" if event.base_type == "new_inspection" else "report findings"
        return f"{lead}: {said}"
    return _HEADLINES.get(event.base_type, event.summary)


_HEADLINES = {
    "new_inspection": "new inspection report published",
    "report_findings": "what the inspection report found",
    "data_review": "monthly data review published",
    "location_removed": "no longer found in the CQC register",
    "monitor_recovered": "monitoring recovered",
}


def worst_severity(events: Sequence[Event]) -> str:
    """``CRITICAL``, ``WARNING`` or ``INFO``: the worst severity of the events, as a subject
    line leads with it (an inbox rule or a glance sorts by it)."""
    return max((event.severity for event in events), key=severity_rank, default="info").upper()


def subject(events: Sequence[Event]) -> str:
    """``[CQC] CRITICAL Henley House: Overall Good → Inadequate`` or
    ``[CQC] WARNING 5 changes ...``: led by the worst event's severity."""
    tag = "[TEST] [CQC]" if any(event.test for event in events) else "[CQC]"
    prefix = f"{tag} {worst_severity(events)}"
    if len(events) == 1:
        text = f"{prefix} {events[0].subject.name}: {headline(events[0])}"
    else:
        locations = {event.subject.id: event.subject.name for event in events}
        critical = sum(event.severity == "critical" for event in events)
        if len(locations) == 1:  # one place: say which, as the single-event subject does
            text = f"{prefix} {next(iter(locations.values()))}: {len(events)} changes"
        else:
            text = f"{prefix} {len(events)} changes at {len(locations)} locations"
        text += f" ({critical} critical)" if critical else ""
    # Squashed: a line break from the data would be a header injection.
    return " ".join(text.split())


def detail_lines(event: Event) -> list[Line]:
    """The facts of an event beyond its summary, in reading order."""
    details = event.details
    if event.base_type in ("rating_changed", "details_changed"):
        return [_change_line(change) for change in _changes_in_order(event)]
    if event.type == "registration_changed":
        lines = [Line("Registration", _change_value(details))]
        if details.get("deregistration_date"):
            lines.append(Line("Deregistered on", str(details["deregistration_date"])))
        return lines
    if event.base_type == "new_inspection":
        return [
            *findings_lines(event),
            *_present(
                Line("Report type", _shown(details.get("report_type"))),
                Line("First visit", _shown(details.get("first_visit_date"))),
            ),
        ]
    if event.type == "report_findings":
        return findings_lines(event)
    if event.type == "data_review":
        return _present(
            Line("Review date", _shown(details.get("date"))),
            Line("Review", _shown(details.get("text"))),
        )
    if event.type == "location_removed":
        return [Line("CQC API", f"HTTP {details.get('http_status')} for this location")]
    if event.type in SEARCH_EVENTS:
        return [Line(label, value) for label, value in search_lines(event)]
    if event.type == "source_changed":
        return [Line(label, value) for label, value in source_lines(event)]
    if event.type in ("monitor_failing", "monitor_recovered"):
        return _present(
            Line("Failed checks in a row", _shown(details.get("consecutive_failures"))),
            Line("Last error", _shown(details.get("last_error"))),
        )
    return []


def findings_lines(event: Event) -> list[Line]:
    """What the report found, right under the report: the findings line, the regulations
    breached, the report's own summary (SPEC §5.3)."""
    found = event.details.get("findings")
    if not isinstance(found, dict):
        if event.details.get("report_link_id"):
            return [Line("Findings", "the report's text is not read yet; they follow when it is")]
        return []
    said = findings_line(found)
    serious = found.get("special_measures") in ("placed", "remains") or bool(
        found.get("enforcement")
    )
    lines = [
        Line(
            "Findings",
            said or "no breach of regulation, special measures or enforcement named",
            "declined" if serious or (found.get("breaches") or 0) > 0 else None,
        )
    ]
    if regulations := found.get("regulations"):
        lines.append(Line("Regulations", "; ".join(str(item) for item in regulations)))
    if summary := found.get("summary"):
        lines.append(Line("Report summary", str(summary)))
    return lines


def _changes_in_order(event: Event) -> list[dict[str, Any]]:
    changes = list(event.details.get("changes") or [])
    return ordered_changes(changes) if event.base_type == "rating_changed" else changes


def _change_line(change: dict[str, Any]) -> Line:
    label = change_label(change) if "question" in change else str(change.get("field"))
    tone = change.get("direction")
    return Line(label, _change_value(change), tone if tone in ("declined", "improved") else None)


def _present(*lines: Line) -> list[Line]:
    return [line for line in lines if line.value != "none"]


def report_date(event: Event) -> str | None:
    value = event.details.get("report_date")
    return str(value) if value else None


def date_label(event: Event) -> str:
    return source_label(event.details.get("framework"))


def links(event: Event) -> list[tuple[str, str]]:
    """(label, url) pairs: the CQC location page and, when there is one, the report. An
    event about a saved search has no page (its ``url`` is empty)."""
    page = "CQC provider page" if event.location is None and event.provider else "CQC location page"
    found = [(page, event.subject.url)] if event.subject.url else []
    if event.details.get("report_url"):
        found.append(("Inspection report", str(event.details["report_url"])))
    return found


def text_block(event: Event) -> str:
    """One event as plain text: the text part of an email, a console block, a chat body."""
    lines = [
        f"{event.subject.name} ({event.subject.id}) — {event.severity.upper()}",
        event.summary,
        *(f"  {line}" for line in detail_lines(event)),
    ]
    if date := report_date(event):
        lines.append(f"{date_label(event)}: {date}")
    lines.extend(f"{label}: {url}" for label, url in links(event))
    return "\n".join(lines)


def text_body(events: Sequence[Event]) -> str:
    return "\n\n".join(group_block(group) for group in report_groups(events)) + "\n"


def report_groups(events: Sequence[Event]) -> list[list[Event]]:
    """Events as a reader takes them in: a new report and the rating change it brought (same
    location, same report link) are one group, report first; every other event stands alone.
    Groups keep the order of their first event."""
    reports = {
        key: event
        for event in events
        if event.base_type == "new_inspection" and (key := _report_key(event)) is not None
    }
    change_of: dict[int, Event] = {}  # report → its rating change, by object identity
    report_of: dict[int, Event] = {}
    for event in events:
        key = _report_key(event)
        if event.base_type == "rating_changed" and key is not None and key in reports:
            change_of[id(reports[key])], report_of[id(event)] = event, reports[key]
    groups: list[list[Event]] = []
    done: set[int] = set()
    for event in events:
        if id(event) in done:
            continue
        report = report_of.get(id(event), event)  # a change found first brings its report
        change = change_of.get(id(report))
        group = [report, change] if change is not None else [event]
        done.update(id(member) for member in group)
        groups.append(group)
    return groups


def _report_key(event: Event) -> tuple[str, str] | None:
    link = event.details.get("report_link_id")
    return (event.subject.id, str(link)) if link else None


def group_severity(group: Sequence[Event]) -> str:
    return max(group, key=lambda event: severity_rank(event.severity)).severity


def group_block(group: Sequence[Event]) -> str:
    """A group as plain text: one heading, the report, then what it changed."""
    if len(group) == 1:
        return text_block(group[0])
    report, change = group
    lines = [
        f"{report.subject.name} ({report.subject.id}) — {group_severity(group).upper()}",
        report.summary,
        *(f"  {line}" for line in detail_lines(report)),
    ]
    if date := report_date(report):
        lines.append(f"{date_label(report)}: {date}")
    lines.append(f"What it changed: {change.summary}")
    lines += [f"  {line}" for line in detail_lines(change)]
    seen = dict.fromkeys(pair for event in group for pair in links(event))
    lines.extend(f"{label}: {url}" for label, url in seen)
    return "\n".join(lines)
