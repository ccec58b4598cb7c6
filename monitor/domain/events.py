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
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]

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
class Event:
    id: str
    type: str
    severity: str
    detected_at: str  # ISO 8601, UTC
    location: LocationRef
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    test: bool = False  # ``sinks test``: a sample, never a real change

    def to_dict(self) -> dict[str, Any]:
        # ``test`` appears only on samples: real events keep the documented shape.
        return ({"test": True} if self.test else {}) | {
            "id": self.id,
            "type": self.type,
            "severity": self.severity,
            "detected_at": self.detected_at,
            "location": {
                "id": self.location.id,
                "name": self.location.name,
                "provider_id": self.location.provider_id,
                "url": self.location.url,
            },
            "summary": self.summary,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            id=data["id"],
            type=data["type"],
            severity=data["severity"],
            detected_at=data["detected_at"],
            location=LocationRef(**data["location"]),
            summary=data["summary"],
            details=data.get("details") or {},
            test=bool(data.get("test", False)),
        )


def event_id(location_id: str, event_type: str, *parts: Any) -> str:
    """A stable id: the same change detected twice (a re-run after a crash) gets the same id.

    ``parts`` hold what makes the change itself unique — usually the before and after
    snapshot hashes plus the details — never the detection time.
    """
    text = json.dumps([location_id, event_type, *parts], sort_keys=True, default=str)
    return "evt_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:26]
