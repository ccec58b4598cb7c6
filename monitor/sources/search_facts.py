"""CQC location document → ``LocationFacts``: the fields saved searches are matched against.

Kept apart from the snapshot on purpose. The snapshot's content hash decides whether a new
snapshot row is written; adding constituency, inspection categories or regulated activities
to it would change every stored hash, and every location would look changed once after an
upgrade. The facts are read from the fetched document whenever a membership is judged, and
what mattered is recorded in the ``location_added`` / ``location_left`` event itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from monitor.domain.search import LocationFacts
from monitor.sources import api_values as values

# Inspection categories carry ``primary`` as "true"/"false" in real documents and as
# "Y"/"N" in CQC's API description.
_PRIMARY = frozenset({"true", "y", "yes"})


def location_facts(doc: Mapping[str, Any]) -> LocationFacts:
    """Raises ``DocumentShapeError`` (a ValueError) for a field of the wrong shape."""
    categories = list(values.objects(doc.get("inspectionCategories"), "inspectionCategories"))
    primary = [c for c in categories if _is_primary(c.get("primary"))]
    others = [c for c in categories if not _is_primary(c.get("primary"))]
    return LocationFacts(
        local_authority=_one(doc, "localAuthority"),
        region=_one(doc, "region"),
        care_home=_care_home(doc.get("careHome")),
        constituency=_one(doc, "constituency"),
        service_types=_each(doc.get("gacServiceTypes"), "gacServiceTypes", "description"),
        inspection_directorate=_one(doc, "inspectionDirectorate"),
        primary_categories=_each(primary, "inspectionCategories", "name"),
        primary_category_codes=_each(primary, "inspectionCategories", "code"),
        non_primary_categories=_each(others, "inspectionCategories", "name"),
        non_primary_category_codes=_each(others, "inspectionCategories", "code"),
        regulated_activities=_each(doc.get("regulatedActivities"), "regulatedActivities", "name"),
        overall_rating=_overall(doc.get("currentRatings")),
        report_types=_each(doc.get("reports"), "reports", "reportType"),
        onspd_ccg_code=_one(doc, "onspdCcgCode"),
        onspd_ccg_name=_one(doc, "onspdCcgName"),
        ods_ccg_code=_one(doc, "odsCcgCode"),
        ods_ccg_name=_one(doc, "odsCcgName"),
        provider_id=_present(values.identifier(doc.get("providerId"), "providerId")),
    )


def _one(doc: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return _present(values.text(doc.get(key), key))


def _present(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _each(items: Any, field: str, key: str) -> tuple[str, ...]:
    objects: Iterable[dict[str, Any]] = values.objects(items, field) if items is not None else ()
    found = (values.text(item.get(key), f"{field}[].{key}") for item in objects)
    return tuple(dict.fromkeys(value for value in found if value))


def _care_home(value: Any) -> tuple[str, ...]:
    flag = values.flag(value, "careHome")
    return () if flag is None else ("Y" if flag else "N",)


def _is_primary(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().casefold() in _PRIMARY


def _overall(current: Any) -> tuple[str, ...]:
    # The API's overallRating filter reads currentRatings.overall.rating; a newer Single
    # Assessment Framework rating is not part of it, so it is not part of the match either.
    ratings = values.mapping(current, "currentRatings")
    overall = values.mapping(ratings.get("overall"), "currentRatings.overall") if ratings else None
    return _present(values.text(overall.get("rating"), "rating")) if overall else ()
