"""The wording of a digest, shared by the email (its subject and text part), the chat message
and the console. Pure functions over ``Digest``.

Each event reads exactly as it does in an alert sent at once: the digest is made of the same
blocks (``text.group_block``), grouped by location, the worst location first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.domain.digest import LocationEvents, by_location, tally
from monitor.domain.events import Event
from monitor.sinks import text
from monitor.sinks.base import Digest


def digest_title(cadence: str | None) -> str:
    """``Weekly digest`` (``daily``, ``hourly``, ``monthly``), or ``Digest`` for a schedule
    that is none of these."""
    return f"{cadence.capitalize()} digest" if cadence else "Digest"


def digest_subject(digest: Digest, cadence: str | None) -> str:
    """``[CQC] WARNING Weekly digest: 12 changes at 9 locations (3 warnings)``: led by the
    worst event's severity, as every alert's subject is."""
    tag = "[TEST] [CQC]" if any(event.test for event in digest.events) else "[CQC]"
    prefix = f"{tag} {text.worst_severity(digest.events)}"
    subject = f"{prefix} {digest_title(cadence)}: {counts(digest.events)}"
    return " ".join(subject.split())  # a line break from the data would inject a header


def counts(events: Sequence[Event]) -> str:
    """``12 changes at 9 locations (1 critical, 3 warnings)``: the notable ones named."""
    figures = tally(events)
    wording = f"{_plural(figures.changes, 'change')} at {_plural(figures.locations, 'location')}"
    critical, warnings = figures.by_severity["critical"], figures.by_severity["warning"]
    notable = [f"{critical} critical"] if critical else []
    notable += [_plural(warnings, "warning")] if warnings else []
    return wording + (f" ({', '.join(notable)})" if notable else "")


def period(digest: Digest) -> str:
    """``from Mon 1 Dec 2026 08:00 to Mon 8 Dec 2026 08:00 (Europe/London)``."""
    zone = ZoneInfo(digest.timezone)
    start, end = digest.window_start.astimezone(zone), digest.window_end.astimezone(zone)
    return f"from {_moment(start)} to {_moment(end)} ({digest.timezone})"


def _moment(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


def index_line(group: LocationEvents) -> str:
    """One location of the digest at a glance: ``Henley House (1-10000302982): 2 changes,
    WARNING``."""
    location = group.location
    return (
        f"{location.name} ({location.id}): {_plural(len(group.events), 'change')}, "
        f"{group.severity.upper()}"
    )


def location_groups(digest: Digest) -> list[tuple[LocationEvents, list[list[Event]]]]:
    """Each location, the worst first, with its events as a reader takes them in (a report
    and the rating change it brought as one group)."""
    return [(group, text.report_groups(group.events)) for group in by_location(digest.events)]


def digest_body(digest: Digest, cadence: str | None) -> str:
    """The plain-text digest: what it covers, the locations at a glance, then each
    location's changes and reports as an alert sent at once reads them."""
    lines = [
        f"{digest_title(cadence)}: {counts(digest.events)}, {period(digest)}.",
        "",
        "Locations, the most severe first:",
        *(f"  - {index_line(group)}" for group in by_location(digest.events)),
    ]
    blocks = [
        text.group_block(report_group)
        for _, report_groups in location_groups(digest)
        for report_group in report_groups
    ]
    return "\n".join(lines) + "\n\n" + "\n\n".join(blocks) + f"\n\nDigest id: {digest.key}\n"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
