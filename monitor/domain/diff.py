"""The pure heart of the monitor: two snapshots in, typed change events out (SPEC §5.2).

``diff`` never looks at the clock or the database; the caller passes ``detected_at``.
Event ids hash the before/after content, so detecting the same change twice (a re-run
after a crash) yields the same id and the store keeps one event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitor.domain.carry import last_ratings, last_registration_status
from monitor.domain.events import (
    PROVIDER_TYPES,
    Event,
    LocationRef,
    ProviderRef,
    Subject,
    about,
    event_id,
)
from monitor.domain.inspections import inspection_events, timeline_events
from monitor.domain.ratings import SCALE, direction, question_order
from monitor.domain.snapshot import Rating, Snapshot
from monitor.domain.vocabulary import placeable
from monitor.domain.wording import change_line, source_note

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
        *inspection_events(make, previous, current),
        *timeline_events(make, previous, current),
        *_registration_events(make, previous, current),
    ]
    if current.kind == "location":
        # A provider's own document is watched for its ratings, reports and registration;
        # its details are its locations' business.
        events += _details_events(make, previous, current)
    return events


class _EventMaker:
    def __init__(self, previous: Snapshot | None, current: Snapshot, detected_at: str) -> None:
        self.before = previous.content_hash() if previous else None
        self.after = current.content_hash()
        self.current = current
        self.detected_at = detected_at

    def __call__(self, kind: str, severity: str, summary: str, details: dict[str, Any]) -> Event:
        if self.current.kind == "provider":
            kind = PROVIDER_TYPES.get(kind, kind)
        return Event(
            id=event_id(self.current.location_id, kind, self.before, self.after, details),
            type=kind,
            severity=severity,
            detected_at=self.detected_at,
            summary=summary,
            details=details,
            **about(subject_ref(self.current)),
        )


def subject_ref(snapshot: Snapshot) -> Subject:
    """Who an event about this snapshot names: the location, or the provider itself."""
    if snapshot.kind == "provider":
        return ProviderRef(id=snapshot.location_id, name=snapshot.name, url=snapshot.url)
    return location_ref(snapshot)


def location_ref(snapshot: Snapshot) -> LocationRef:
    return LocationRef(
        id=snapshot.location_id,
        name=snapshot.name,
        provider_id=snapshot.provider_id,
        url=snapshot.url,
    )


# -- ratings ---------------------------------------------------------------------------


def _rating_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    # A rating a document left out is judged, when it returns, against what CQC said last.
    old = last_ratings(previous)
    new = {r.key: r for r in current.ratings}
    changes: list[tuple[Rating | None, Rating | None]] = []
    for key in sorted(old.keys() | new.keys(), key=_key_order):
        before, after = old.get(key), new.get(key)
        if after is None or not placeable(after.rating):
            # A rating that vanished from the document is recorded, not alerted: documents
            # in transition between frameworks drop keys, and a false alarm costs trust. A
            # label the monitor cannot place ("Exceptional") is recorded too, never read as a
            # decline or an improvement: the shape watch reports the label instead.
            continue
        if before is not None and not placeable(before.rating):
            # Leaving such a label is judged against the last rating the monitor could place.
            before = _last_placeable(previous, key)
        if _rating_value(before) == _rating_value(after):
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
    framework = source.framework if source else None
    published = source.date if source else None
    details = {
        "changes": rows,
        "framework": framework,
        "report_date": published,
        "report_link_id": link,
        "report_url": _report_url(current, link),
    }
    lines = "; ".join(change_line(row) for row in rows)
    note = source_note(framework, published)
    summary = f"{current.name}: {lines}" + (f" ({note})." if note else ".")
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
        # Which framework the new rating came from: legacy inspection or SAF assessment.
        "framework": after.framework if after else None,
    }


def _rating_severity(rows: list[dict[str, Any]]) -> str:
    if any(row["new"] == "Inadequate" for row in rows):
        return "critical"
    declines = [row for row in rows if row["direction"] == "declined"]
    if any(row["question"] == "Overall" and row["service"] is None for row in declines):
        return "critical"
    return "warning" if declines else "info"


def _last_placeable(snapshot: Snapshot, key: tuple[str, str]) -> Rating | None:
    """The newest rating of ``key`` in the location's history that is on the scale or a known
    non-rating (past ratings are kept newest first)."""
    question = key[1]
    for past in snapshot.past_ratings:
        if (past.service or "", past.question) == key and placeable(past.rating):
            return Rating(
                question=question,
                rating=past.rating,
                service=past.service,
                date=past.report_date,
                report_link_id=past.report_link_id,
            )
    return None


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


# -- registration and details -----------------------------------------------------------


def _registration_events(make: _EventMaker, previous: Snapshot, current: Snapshot) -> list[Event]:
    old, new = last_registration_status(previous), current.registration_status
    if old == new or new is None:
        # A status that vanished is recorded, not read as a change: the shape watch reports
        # the field missing instead.
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
