"""A location's ratings over time, read from its stored snapshots (pure functions).

Each snapshot carries its effective ratings (with the date of the report or assessment they
come from) and ``past_ratings``: what ``historicRatings`` and superseded or historic
assessments say. Together they reach back years before the first fetch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from monitor.domain.ratings import KEY_QUESTIONS


@dataclass(frozen=True, slots=True, order=True)
class Point:
    day: date
    rating: str


def rating_points(
    snapshots: Iterable[tuple[datetime, dict[str, Any]]],
    service: str | None = None,
    questions: Sequence[str] = KEY_QUESTIONS,
) -> dict[str, list[Point]]:
    """Per key question (Overall first; a trust's ``Use of resources`` too when asked), its
    ratings by date, oldest first.

    ``snapshots`` oldest first: for one date, what a later snapshot says wins.
    """
    found: dict[str, dict[date, str]] = {question: {} for question in questions}
    for fetched_at, data in snapshots:
        for past in data.get("past_ratings") or ():
            _add(found, past, past.get("report_date"), None, service)
        for current in data.get("ratings") or ():
            _add(found, current, current.get("date"), fetched_at.date(), service)
    return {q: [Point(d, r) for d, r in sorted(by_day.items())] for q, by_day in found.items()}


def _add(
    found: dict[str, dict[date, str]],
    item: dict[str, Any],
    when: Any,
    fallback: date | None,
    service: str | None,
) -> None:
    if item.get("service") != service or item.get("question") not in found:
        return
    day = _day(when) or fallback
    if day is not None and isinstance(item.get("rating"), str):
        found[item["question"]][day] = item["rating"]


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def services(snapshots: Sequence[tuple[datetime, dict[str, Any]]]) -> list[str]:
    """Services and service groups rated in the latest snapshot, in the order CQC gives."""
    if not snapshots:
        return []
    ratings = snapshots[-1][1].get("ratings") or ()
    return list(dict.fromkeys(r["service"] for r in ratings if r.get("service")))
