"""What the Location page shows, shaped from its stored snapshots (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from monitor.domain.ratings import KEY_QUESTIONS, RATED_QUESTIONS
from monitor.domain.snapshot import LOCATION_PAGE, PROVIDER_PAGE
from monitor.store.dashboard_locations import LocationDetail, LocationRow
from monitor.web.charts import timeline_svg
from monitor.web.timeline import rating_points

LOCATION_LEVEL = "Location"


def location_context(
    detail: LocationDetail, members: Sequence[LocationRow] | None = None
) -> dict[str, Any]:
    """The Location page's values; with ``members`` (its locations), a provider's page: the
    same ratings, charts and trail, for the provider rated as a whole."""
    latest = detail.latest or {}
    texts = {str(text["link_id"]): text for text in detail.texts}
    provider = members is not None
    questions = RATED_QUESTIONS if provider else KEY_QUESTIONS
    return {
        "detail": detail,
        "row": detail.row,
        "latest": latest,
        "provider": provider,
        "members": members or [],
        "questions": questions,
        "grid": ratings_grid(
            [*(latest.get("ratings") or ()), *_carried(latest.get("carried_ratings"))],
            "Provider" if provider else LOCATION_LEVEL,
        ),
        "charts": charts(detail, questions),
        "reports": [
            _report(item, texts)
            for item in (*(latest.get("reports") or ()), *_carried(latest.get("carried_reports")))
        ],
        "texts": detail.texts,
        "timeline": latest.get("timeline"),
        "cqc_url": (PROVIDER_PAGE if provider else LOCATION_PAGE).format(id=detail.row.id),
        "snapshots": [
            (snapshot.id, snapshot.fetched_at, overall(snapshot.data))
            for snapshot in reversed(detail.snapshots)
        ],
    }


def ratings_grid(
    ratings: Sequence[dict[str, Any]], top: str = LOCATION_LEVEL
) -> list[tuple[str, dict[str, Any]]]:
    """Rows of (level, {question: rating item}): the location (or provider, ``top``) first,
    then each service."""
    rows: dict[str, dict[str, Any]] = {top: {}}
    for item in ratings:
        level = item.get("service") or top
        rows.setdefault(level, {})[str(item.get("question"))] = item
    return [(level, cells) for level, cells in rows.items() if cells or level == top]


def charts(
    detail: LocationDetail, questions: Sequence[str] = KEY_QUESTIONS
) -> list[tuple[str, Markup]]:
    """One timeline per key question, over every snapshot and the history each one carries."""
    snapshots = [(snapshot.fetched_at, snapshot.data) for snapshot in detail.snapshots]
    checked = detail.row.last_checked_at
    until = checked.date() if checked else None
    return [
        (question, timeline_svg(points, title=f"{question}: rating over time", until=until))
        for question, points in rating_points(snapshots, questions=questions).items()
    ]


def overall(data: dict[str, Any]) -> str | None:
    for item in data.get("ratings") or ():
        if item.get("question") == "Overall" and not item.get("service"):
            return str(item.get("rating"))
    return None


def _carried(items: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """What CQC's latest document left out, shown as what CQC said last, and marked so."""
    return [{**item, "carried": True} for item in items or ()]


def _report(item: dict[str, Any], texts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    url = item.get("url")
    # Only a web address becomes a link; anything else in the document stays text.
    safe = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    return {**item, "url": safe, "text": texts.get(str(item.get("link_id")))}
