"""The ``source_changed`` event (SPEC §5.2): what one write of the shape watch recorded for
one kind of document, in words and in its details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.shape_catalogue import KIND_NAMES
from monitor.domain.shape_watch import (
    MAX_EXAMPLES,
    PATH_ADDED,
    PATH_MISSING,
    VALUE_ADDED,
    Novelty,
)
from monitor.domain.vocabulary import describe

MAX_LISTED = 50  # paths or values listed in one event; the rest are counted
CHANGE_WORDS = {
    PATH_ADDED: "new field",
    PATH_MISSING: "field no longer present",
    VALUE_ADDED: "new value",
}


def source_changed(
    kind: str,
    novelties: Sequence[Novelty],
    examples: Sequence[str],
    location: LocationRef,
    detected_at: str,
) -> Event:
    """One ``source_changed`` event for what one flush found new in one kind of document."""
    added = [n.path for n in novelties if n.change == PATH_ADDED]
    missing = [n for n in novelties if n.change == PATH_MISSING]
    values = [n for n in novelties if n.change == VALUE_ADDED]
    details: dict[str, Any] = {
        "kind": kind,
        "paths_added": added[:MAX_LISTED],
        "paths_missing": [n.path for n in missing[:MAX_LISTED]],
        "values_added": [
            {"path": n.path, "field": n.field, "value": n.value} for n in values[:MAX_LISTED]
        ],
        "examples": list(examples[:MAX_EXAMPLES]),
        "first_seen_at": detected_at,
    }
    listed = sum(len(details[name]) for name in ("paths_added", "paths_missing", "values_added"))
    if len(novelties) > listed:  # a flood of new keys: the rest are in ``source shape``
        details["not_listed"] = len(novelties) - listed
    keys = sorted(n.key for n in novelties)
    return Event(
        id=event_id(location.id, "source_changed", keys),
        type="source_changed",
        severity="warning",
        detected_at=detected_at,
        location=location,
        summary=summary(kind, added, missing, values),
        details=details,
    )


def summary(
    kind: str, added: Sequence[str], missing: Sequence[Novelty], values: Sequence[Novelty]
) -> str:
    parts = []
    if added:
        parts.append(_listed(CHANGE_WORDS[PATH_ADDED], added))
    if missing:
        shown = [f"{n.path} (in {_percent(n.now)}, was {_percent(n.before)})" for n in missing]
        parts.append(_listed(CHANGE_WORDS[PATH_MISSING], shown))
    if values:
        shown = [f"{describe(n.field or '')} {n.value!r}" for n in values]
        parts.append(_listed(CHANGE_WORDS[VALUE_ADDED], shown))
    return f"CQC changed its {KIND_NAMES.get(kind, kind)}: " + "; ".join(parts) + "."


_PLURALS = {"new field": "new fields", "field no longer present": "fields no longer present"}


def _listed(label: str, items: Sequence[str], shown: int = 3) -> str:
    head = ", ".join(items[:shown])
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    name = _PLURALS.get(label, label + "s") if len(items) > 1 else label
    return f"{name} {head}{more}"


def _percent(share: float | None) -> str:
    return f"{round((share or 0.0) * 100)}%"
