"""Wording of ``location_added`` and ``location_left`` for every sink (see ``text``)."""

from __future__ import annotations

from typing import Any

from monitor.domain.events import Event
from monitor.domain.search import LABELS

SEARCH_EVENTS = ("location_added", "location_left")


def search_headline(event: Event) -> str:
    """``newly registered, joins kent-care-homes`` / ``no longer matches kent-care-homes``."""
    search = event.details.get("search")
    if event.type == "location_left":
        return f"no longer matches {search}"
    if event.details.get("reason") == "new_registration":
        return f"newly registered, joins {search}"
    return f"now matches {search}"


def search_lines(event: Event) -> list[tuple[str, str]]:
    """(label, value) pairs: the search, how the location stands, why it joined or left."""
    details = event.details
    lines = [("Search", str(details.get("search")))]
    if event.type == "location_left":
        for row in details.get("mismatches") or []:
            wanted = _listed(row.get("wanted"))
            lines.append(
                (_label(row.get("filter")), f"now {_listed(row.get('now'))} (search: {wanted})")
            )
        return lines
    if details.get("registration_date"):
        lines.append(("Registered", str(details["registration_date"])))
    lines.append(("Overall rating", _overall(details.get("ratings") or [])))
    for key, values in (details.get("matched") or {}).items():
        lines.append((_label(key), _listed(values)))
    return lines


def _overall(ratings: list[dict[str, Any]]) -> str:
    overall = next((r for r in ratings if r.get("question") == "Overall"), None)
    if overall is None or overall.get("rating") == "No published rating":
        return "not yet rated"
    date = f" ({overall['date']})" if overall.get("date") else ""
    return f"{overall.get('rating')}{date}"


def _label(key: Any) -> str:
    label = LABELS.get(str(key), str(key))
    return label[:1].upper() + label[1:]


def _listed(values: Any) -> str:
    if isinstance(values, list | tuple):
        return ", ".join(str(value) for value in values) or "none"
    return str(values) if values not in (None, "") else "none"
