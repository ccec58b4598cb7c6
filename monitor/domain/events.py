"""Change events: the alert contract of SPEC §5.2."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

EventType = Literal[
    "rating_changed",
    "new_inspection",
    "report_findings",
    "data_review",
    "registration_changed",
    "details_changed",
    "location_removed",
    "location_added",
    "location_left",
    "monitor_failing",
    "monitor_recovered",
    "source_changed",
    "provider_rating_changed",
    "provider_new_report",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]

# A provider rated as a whole has the changes a location has, under its own event types.
PROVIDER_TYPES: dict[str, str] = {
    "rating_changed": "provider_rating_changed",
    "new_inspection": "provider_new_report",
}
_LOCATION_TYPES = {provider: location for location, provider in PROVIDER_TYPES.items()}

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class LocationRef:
    id: str
    name: str
    provider_id: str | None
    url: str


@dataclass(frozen=True, slots=True)
class ProviderRef:
    """A provider rated as a whole (an NHS trust, say): its own events name it, not a location."""

    id: str
    name: str
    url: str


Subject = LocationRef | ProviderRef


def about(ref: Subject) -> dict[str, Any]:
    """The ``location`` and ``provider`` fields of an event about ``ref``."""
    if isinstance(ref, ProviderRef):
        return {"location": None, "provider": ref}
    return {"location": ref, "provider": None}


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    severity: str
    detected_at: str  # ISO 8601, UTC
    location: LocationRef | None  # None: the event is about a provider's own document
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    test: bool = False  # ``sinks test``: a sample, never a real change
    provider: ProviderRef | None = None  # set, with ``location`` None, for a provider's events

    @property
    def subject(self) -> Subject:
        """What the event is about: its location, or the provider rated as a whole."""
        if self.location is not None:
            return self.location
        assert self.provider is not None, "an event is about a location or a provider"
        return self.provider

    @property
    def base_type(self) -> str:
        """The location event this is, or is the provider's own form of: what it is worded
        and rendered as (``provider_rating_changed`` reads as a ``rating_changed``)."""
        return _LOCATION_TYPES.get(self.type, self.type)

    @property
    def provider_id(self) -> str | None:
        """The provider the event concerns: a location's provider, or the provider itself."""
        if self.location is not None:
            return self.location.provider_id
        return self.provider.id if self.provider else None

    def to_dict(self) -> dict[str, Any]:
        # ``test`` appears only on samples: real events keep the documented shape, and only
        # a provider's own events carry ``provider`` (with ``location`` null).
        head = {"test": True} if self.test else {}
        place = None
        if self.location is not None:
            place = {
                "id": self.location.id,
                "name": self.location.name,
                "provider_id": self.location.provider_id,
                "url": self.location.url,
            }
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "severity": self.severity,
            "detected_at": self.detected_at,
            "location": place,
        }
        if self.provider is not None:
            provider = self.provider
            body["provider"] = {"id": provider.id, "name": provider.name, "url": provider.url}
        return head | body | {"summary": self.summary, "details": self.details}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            id=data["id"],
            type=data["type"],
            severity=data["severity"],
            detected_at=data["detected_at"],
            location=LocationRef(**data["location"]) if data.get("location") else None,
            summary=data["summary"],
            details=data.get("details") or {},
            test=bool(data.get("test", False)),
            provider=ProviderRef(**data["provider"]) if data.get("provider") else None,
        )


def event_id(location_id: str, event_type: str, *parts: Any) -> str:
    """A stable id: the same change detected twice (a re-run after a crash) gets the same id.

    ``parts`` hold what makes the change itself unique — usually the before and after
    snapshot hashes plus the details — never the detection time.
    """
    text = json.dumps([location_id, event_type, *parts], sort_keys=True, default=str)
    return "evt_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:26]
