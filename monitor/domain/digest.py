"""Digests (SPEC §6): the events a sink held for its window, as one message reads them.

Pure: the order of a digest (by location, the worst first), its counts, and the stable ids a
receiver drops a resent digest by. Every sink renders the same order, so the email, the chat
message and the webhook's ``events`` list agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.domain.events import SEVERITIES, Event, Subject, severity_rank


@dataclass(frozen=True, slots=True)
class LocationEvents:
    """One location's events in a digest, in the order they were detected (or one provider's
    own, for a provider rated as a whole)."""

    location: Subject
    events: tuple[Event, ...]

    @property
    def severity(self) -> str:
        return max((event.severity for event in self.events), key=severity_rank)


@dataclass(frozen=True, slots=True)
class Tally:
    changes: int
    locations: int
    by_severity: dict[str, int]


def by_location(events: Iterable[Event]) -> list[LocationEvents]:
    """Events grouped by location: the worst first, then the busiest, then by name."""
    groups: dict[str, list[Event]] = {}
    for event in sorted(events, key=lambda e: (e.detected_at, e.id)):
        groups.setdefault(event.subject.id, []).append(event)
    found = [LocationEvents(group[0].subject, tuple(group)) for group in groups.values()]
    return sorted(
        found,
        key=lambda g: (-severity_rank(g.severity), -len(g.events), g.location.name, g.location.id),
    )


def in_digest_order(events: Iterable[Event]) -> list[Event]:
    return [event for group in by_location(events) for event in group.events]


def tally(events: Sequence[Event]) -> Tally:
    counts = dict.fromkeys(SEVERITIES, 0)
    for event in events:
        counts[event.severity] = counts.get(event.severity, 0) + 1
    return Tally(len(events), len({event.subject.id for event in events}), counts)


def digest_key(sink: str, window_end: str, event_ids: Iterable[str]) -> str:
    """The digest's id, stable across retries and resends: its sink, its window, its events.

    The event ids (content hashes) keep two deployments' digests of the same sink name and
    window (staging and production) from sharing an id a receiver would drop as a duplicate.
    """
    text = "|".join([sink, window_end, *sorted(event_ids)])
    return "dgst_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:26]


def part_key(key: str, part: int, parts: int) -> str:
    """A part's own id: the digest's when it is whole, ``<id>.<n>`` for each of several."""
    return key if parts == 1 else f"{key}.{part}"
