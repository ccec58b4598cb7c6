"""The normalised, deterministic view of one CQC location (SPEC §5.1).

A snapshot is built by a source adapter and compared by ``diff``. Its JSON form
(``to_dict``) is what the store keeps and what ``content_hash`` covers, so every
field is ordered deterministically: the same facts always hash the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

LOCATION_PAGE = "https://www.cqc.org.uk/location/{id}"
REPORT_PAGE = "https://www.cqc.org.uk/location/{location_id}/reports/{link_id}"
PROVIDER_PAGE = "https://www.cqc.org.uk/provider/{id}"
PROVIDER_REPORT_PAGE = "https://www.cqc.org.uk/provider/{provider_id}/reports/{link_id}"


@dataclass(frozen=True, slots=True)
class Rating:
    """One effective rating: location level (``service`` None) or for a service / service group."""

    question: str  # Overall, Safe, Effective, Caring, Responsive, Well-led
    rating: str
    service: str | None = None
    date: str | None = None
    report_link_id: str | None = None
    # Set when CQC carried the rating over from a predecessor registration.
    inherited_from: str | None = None
    framework: str = "legacy"  # legacy (currentRatings) | assessment (Single Assessment Framework)

    @property
    def key(self) -> tuple[str, str]:
        return (self.service or "", self.question)


@dataclass(frozen=True, slots=True)
class PastRating:
    """One rating from ``historicRatings``: kept for the audit trail, never diffed."""

    report_date: str | None
    report_link_id: str | None
    question: str
    rating: str
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    link_id: str
    report_date: str | None
    first_visit_date: str | None
    report_type: str | None  # absent on pre-2014 reports
    url: str | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One entry of the website's "All inspections" timeline (SPEC §2.2)."""

    date: str  # first day, ISO
    last_date: str  # last day, ISO (same as ``date`` for single-day entries)
    kind: str  # data_review | routine_inspection | partial_inspection | follow_up | other
    label: str  # the label as written, e.g. "During a monthly review of our data"
    summary: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    location_id: str
    name: str
    provider_id: str | None = None
    address: str | None = None
    postcode: str | None = None
    region: str | None = None
    local_authority: str | None = None
    location_type: str | None = None
    care_home: bool | None = None
    beds: int | None = None
    service_types: tuple[str, ...] = ()
    specialisms: tuple[str, ...] = ()
    registration_status: str | None = None
    registration_date: str | None = None
    deregistration_date: str | None = None
    ratings: tuple[Rating, ...] = ()
    past_ratings: tuple[PastRating, ...] = ()
    reports: tuple[Report, ...] = ()
    # None: the website was not consulted; () would claim an empty timeline.
    timeline: tuple[TimelineEntry, ...] | None = None
    # "provider": the document of a provider rated as a whole (``location_id`` is then the
    # provider's id). Left out of the stored form for a location, so its hash never moved.
    kind: str = "location"
    # What CQC said last of a rating, a report or the registration status that the document
    # left out (domain.carry): what a later document says of them is compared with it. Never
    # shown as current; left out of the stored form when empty, so no stored hash moved.
    carried_ratings: tuple[Rating, ...] = ()
    carried_reports: tuple[Report, ...] = ()
    carried_registration_status: str | None = None
    _hash: str = field(default="", init=False, compare=False, repr=False)

    @property
    def url(self) -> str:
        page = PROVIDER_PAGE if self.kind == "provider" else LOCATION_PAGE
        return page.format(id=self.location_id)

    def rating(self, question: str, service: str | None = None) -> Rating | None:
        for item in self.ratings:
            if item.question == question and item.service == service:
                return item
        return None

    def to_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, built directly: asdict's generic deep copy was the
        # largest cost of a review cycle (every fetched location is hashed through here).
        data = {name: getattr(self, name) for name in _FIELD_ORDER}
        for name in _RECORD_TUPLES:
            data[name] = tuple(_record(item) for item in data[name])
        if self.timeline is not None:
            data["timeline"] = tuple(_record(entry) for entry in self.timeline)
        if self.kind != "location":
            data["kind"] = self.kind
        if self.carried_ratings:
            data["carried_ratings"] = tuple(_record(item) for item in self.carried_ratings)
        if self.carried_reports:
            data["carried_reports"] = tuple(_record(item) for item in self.carried_reports)
        if self.carried_registration_status is not None:
            data["carried_registration_status"] = self.carried_registration_status
        return data

    def content_hash(self) -> str:
        if not self._hash:
            object.__setattr__(self, "_hash", content_hash(self.to_dict()))
        return self._hash

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        timeline = data.get("timeline")
        return cls(
            **{key: value for key, value in data.items() if key not in _NESTED and key in _FIELDS},
            service_types=tuple(data.get("service_types") or ()),
            specialisms=tuple(data.get("specialisms") or ()),
            ratings=tuple(Rating(**item) for item in data.get("ratings") or ()),
            past_ratings=tuple(PastRating(**item) for item in data.get("past_ratings") or ()),
            reports=tuple(Report(**item) for item in data.get("reports") or ()),
            timeline=None if timeline is None else tuple(TimelineEntry(**t) for t in timeline),
            carried_ratings=tuple(Rating(**item) for item in data.get("carried_ratings") or ()),
            carried_reports=tuple(Report(**item) for item in data.get("carried_reports") or ()),
        )


_NESTED = {
    "service_types",
    "specialisms",
    "ratings",
    "past_ratings",
    "reports",
    "timeline",
    "carried_ratings",
    "carried_reports",
}
# Stored only when set: the fields added after snapshots were first stored.
_WHEN_SET = ("kind", "carried_ratings", "carried_reports", "carried_registration_status")
_FIELD_ORDER = tuple(
    name for name in Snapshot.__dataclass_fields__ if name not in ("_hash", *_WHEN_SET)
)
_FIELDS = {*_FIELD_ORDER, *_WHEN_SET}
_RECORD_TUPLES = ("ratings", "past_ratings", "reports")


def _record(item: Rating | PastRating | Report | TimelineEntry) -> dict[str, Any]:
    """A flat value object as a dict (its fields are all str, int, bool or None)."""
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 over canonical JSON: key order and whitespace never change the hash."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
