"""CQC location document → ``LocationFacts``: the fields saved searches are matched against.

Kept apart from the snapshot on purpose. The snapshot's content hash decides whether a new
snapshot row is written; adding constituency, inspection categories or regulated activities
to it would change every stored hash, and every location would look changed once after an
upgrade. The facts are read from the fetched document whenever a membership is judged, and
what mattered is recorded in the ``location_added`` / ``location_left`` event itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from monitor.domain.search import FILTERS, LocationFacts
from monitor.sources import api_values as values

# Inspection categories carry ``primary`` as "true"/"false" in real documents and as
# "Y"/"N" in CQC's API description.
_PRIMARY = frozenset({"true", "y", "yes"})


def location_facts(doc: Mapping[str, Any], filters: Iterable[str] | None = None) -> LocationFacts:
    """The facts for these filters (all when None) and those an event's wording uses.

    Raises ``DocumentShapeError`` (a ValueError) for a field of the wrong shape.
    """
    names = FILTERS if filters is None else {*filters, *_WORDING}
    return LocationFacts(**{FILTERS[name]: _READERS[name](doc) for name in names})


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


def _categories(doc: Mapping[str, Any], primary: bool, key: str) -> tuple[str, ...]:
    items = values.objects(doc.get("inspectionCategories"), "inspectionCategories")
    chosen = [item for item in items if _is_primary(item.get("primary")) == primary]
    return _each(chosen, "inspectionCategories", key)


Reader = Callable[[Mapping[str, Any]], tuple[str, ...]]
# Filter → how the document answers it. Only the filters some search uses are read: a
# location's reports and categories need not be walked for a search by area.
_READERS: dict[str, Reader] = {
    "localAuthority": lambda doc: _one(doc, "localAuthority"),
    "region": lambda doc: _one(doc, "region"),
    "careHome": lambda doc: _care_home(doc.get("careHome")),
    "constituency": lambda doc: _one(doc, "constituency"),
    "gacServiceTypeDescription": lambda doc: _each(
        doc.get("gacServiceTypes"), "gacServiceTypes", "description"
    ),
    "inspectionDirectorate": lambda doc: _one(doc, "inspectionDirectorate"),
    "primaryInspectionCategoryName": lambda doc: _categories(doc, True, "name"),
    "primaryInspectionCategoryCode": lambda doc: _categories(doc, True, "code"),
    "nonPrimaryInspectionCategoryName": lambda doc: _categories(doc, False, "name"),
    "nonPrimaryInspectionCategoryCode": lambda doc: _categories(doc, False, "code"),
    "regulatedActivity": lambda doc: _each(
        doc.get("regulatedActivities"), "regulatedActivities", "name"
    ),
    "overallRating": lambda doc: _overall(doc.get("currentRatings")),
    "reportType": lambda doc: _each(doc.get("reports"), "reports", "reportType"),
    "onspdCcgCode": lambda doc: _one(doc, "onspdCcgCode"),
    "onspdCcgName": lambda doc: _one(doc, "onspdCcgName"),
    "odsCcgCode": lambda doc: _one(doc, "odsCcgCode"),
    "odsCcgName": lambda doc: _one(doc, "odsCcgName"),
    "providerId": lambda doc: _present(values.identifier(doc.get("providerId"), "providerId")),
}
# What the wording of location_added / location_left reads ("care home in Kent").
_WORDING = ("localAuthority", "region", "careHome", "gacServiceTypeDescription")
