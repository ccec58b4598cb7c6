"""The pure heart of the monitor: two snapshots in, typed change events out (SPEC §5.2).

``diff`` never looks at the clock or the database; the caller passes ``detected_at``.
Event ids hash the before/after content, so detecting the same change twice (a re-run
after a crash) yields the same id and the store keeps one event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.ratings import SCALE, direction, question_order
from monitor.domain.snapshot import Rating, Report, Snapshot, TimelineEntry
from monitor.domain.wording import change_line

# A website timeline entry and an API report describe the same inspection when the
# timeline date falls within this many days of the report's first visit. CQC's page shows
# the visit date(s); the API's firstVisitDate is the first of them, occasionally off by a
# few days where an inspection ran over a week or was re-dated on publication.
SAME_INSPECTION_DAYS = 7

_DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("address", "address"),
    ("postcode", "postcode"),
    ("provider_id", "provider"),
    ("location_type", "type"),
    ("care_home", "care_home"),
    ("beds", "beds"),
    ("service_types", "service_types"),
    ("specialisms", "specialisms"),
    ("region", "region"),
    ("local_authority", "local_authority"),
)


def diff(
    previous: Snapshot | None,
    current: Snapshot,
    *,
    detected_at: str,
    first_seen: str = "silent",
) -> list[Event]:
    """Events for what changed from ``previous`` to ``current`` (``None``: first sight)."""
    if previous is None:
        return _first_sight(current, detected_at) if first_seen == "alert" else []
    if previous.content_hash() == current.content_hash():
        return []
    make = _EventMaker(previous, current, detected_at)
    events = [
        *_rating_events(make, previous, current),
        *_inspection_events(make, previous, current),
        *_timeline_events(make, previous, current),
        *_registration_events(make, previous, current),
        *_details_events(make, previous, current),
    ]
    return events


class _EventMaker:
    def __init__(self, previous: Snapshot | None, current: Snapshot, detected_at: str) -> None:
        self.before = previous.content_hash() if previous else None
        self.after = current.content_hash()
        self.current = current
        self.detected_at = detected_at

    def __call__(self, kind: str, severity: str, summary: str, details: dict[str, Any]) -> Event:
        return Event(
            id=event_id(self.current.location_id, kind, self.before, self.after, details),
            type=kind,
            severity=severity,
            detected_at=self.detected_at,
            location=location_ref(self.current),
            summary=summary,
            details=details,
        )


def location_ref(snapshot: Snapshot) -> LocationRef:
    return LocationRef(
        id=snapshot.location_id,
        name=snapshot.name,
        provider_id=snapshot.provider_id,
        url=snapshot.url,
    )


# -- ratings ---------------------------------------------------------------------------


def _rating_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    old = {r.key: r for r in previous.ratings}
    new = {r.key: r for r in current.ratings}
    changes: list[tuple[Rating | None, Rating | None]] = []
    for key in sorted(old.keys() | new.keys(), key=_key_order):
        before, after = old.get(key), new.get(key)
        if after is None or _rating_value(before) == _rating_value(after):
            # A rating that vanished from the document is recorded, not alerted: documents
            # in transition between frameworks drop keys, and a false alarm costs trust.
            continue
        # A rating carried over from a predecessor registration is not a new judgement.
        if after is not None and after.inherited_from:
            continue
        changes.append((before, after))
    if not changes:
        return []
    return [_rating_event(make, current, changes)]


def _rating_event(
    make: _EventMaker, current: Snapshot, changes: list[tuple[Rating | None, Rating | None]]
) -> Event:
    rows = [_change_row(before, after) for before, after in changes]
    source = _newest([after for _, after in changes if after is not None])
    link = source.report_link_id if source else None
    details = {
        "changes": rows,
        "report_date": source.date if source else None,
        "report_link_id": link,
        "report_url": _report_url(current, link),
    }
    summary = f"{current.name}: " + "; ".join(change_line(row) for row in rows) + "."
    return make("rating_changed", _rating_severity(rows), summary, details)


def _change_row(before: Rating | None, after: Rating | None) -> dict[str, Any]:
    rating = after or before
    assert rating is not None
    old, new = _rating_value(before), _rating_value(after)
    return {
        "question": rating.question,
        "service": rating.service,
        "old": old,
        "new": new,
        "direction": direction(old, new),
    }


def _rating_severity(rows: list[dict[str, Any]]) -> str:
    if any(row["new"] == "Inadequate" for row in rows):
        return "critical"
    declines = [row for row in rows if row["direction"] == "declined"]
    if any(row["question"] == "Overall" and row["service"] is None for row in declines):
        return "critical"
    return "warning" if declines else "info"


def _rating_value(rating: Rating | None) -> str | None:
    return rating.rating if rating else None


def _key_order(key: tuple[str, str]) -> tuple[str, int]:
    return (key[0], question_order(key[1]))


def _newest(ratings: Iterable[Rating]) -> Rating | None:
    return max(ratings, key=lambda r: r.date or "", default=None)


def _report_url(snapshot: Snapshot, link: str | None) -> str | None:
    for report in snapshot.reports:
        if report.link_id == link:
            return report.url
    return None


# -- inspections -----------------------------------------------------------------------


def _inspection_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    known = {r.link_id for r in previous.reports}
    seen_on_site = _inspections(previous.timeline or ())
    events = []
    for report in current.reports:
        if report.link_id in known or any(_same_inspection(e, report) for e in seen_on_site):
            continue
        events.append(_report_event(make, current, report))
    return events


def _report_event(make: _EventMaker, current: Snapshot, report: Report) -> Event:
    details = {
        "report_link_id": report.link_id,
        "report_date": report.report_date,
        "first_visit_date": report.first_visit_date,
        "report_type": report.report_type,
        "report_url": report.url,
    }
    when = f" (report date {report.report_date})" if report.report_date else ""
    summary = f"New CQC inspection report published for {current.name}{when}."
    return make("new_inspection", "info", summary, details)


def _timeline_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
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


def _review_event(make: _EventMaker, current: Snapshot, entry: TimelineEntry) -> Event:
    summary = f"CQC carried out a monthly review of its data on {current.name} ({entry.date})."
    return make("data_review", "info", summary, {"date": entry.date, "text": entry.summary})


def _site_inspection_event(make: _EventMaker, current: Snapshot, entry: TimelineEntry) -> Event:
    details = {
        "report_link_id": None,
        "report_date": None,
        "first_visit_date": entry.date,
        "report_type": entry.label,
        "report_url": current.url + "/reports",
    }
    summary = f"CQC website lists a new inspection of {current.name} ({entry.date}: {entry.label})."
    return make("new_inspection", "info", summary, details)


def _inspections(timeline: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    return [entry for entry in timeline if entry.kind != "data_review"]


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


# -- registration and details -----------------------------------------------------------


def _registration_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    old, new = previous.registration_status, current.registration_status
    if old == new:
        return []
    deregistered = (new or "").casefold() == "deregistered"
    details = {"old": old, "new": new, "deregistration_date": current.deregistration_date}
    if deregistered:
        when = f" on {current.deregistration_date}" if current.deregistration_date else ""
        summary = f"{current.name} was deregistered by CQC{when}."
    else:
        summary = f"{current.name} registration status changed from {old} to {new}."
    return [make("registration_changed", "critical" if deregistered else "info", summary, details)]


def _details_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    changes = []
    for attribute, label in _DETAIL_FIELDS:
        old, new = getattr(previous, attribute), getattr(current, attribute)
        if old != new:
            changes.append({"field": label, "old": _plain(old), "new": _plain(new)})
    if not changes:
        return []
    provider_changed = any(c["field"] == "provider" for c in changes)
    names = ", ".join(c["field"] for c in changes)
    summary = f"{current.name} details changed: {names}."
    if provider_changed:
        summary = (
            f"{current.name} changed provider from {previous.provider_id} to {current.provider_id}."
        )
    return [
        make(
            "details_changed",
            "warning" if provider_changed else "info",
            summary,
            {"changes": changes},
        )
    ]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# -- first sight -------------------------------------------------------------------------


def _first_sight(current: Snapshot, detected_at: str) -> list[Event]:
    rated = [r for r in current.ratings if r.rating in SCALE]
    if not rated:
        return []
    make = _EventMaker(None, current, detected_at)
    return [_rating_event(make, current, [(None, r) for r in rated])]
