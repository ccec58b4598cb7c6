"""The filters of ``GET /locations``, as the simulated regulator applies them.

CQC's description: a parameter repeated with different values matches any of them; different
parameters must all match. Written apart from the monitor's own matching rule on purpose: the
simulator plays the regulator, and tests compare the monitor against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Doc = dict[str, Any]
Filters = Mapping[str, frozenset[str]]


def _field(key: str) -> Callable[[Doc], list[Any]]:
    return lambda doc: [doc.get(key)]


def _listed(key: str, attribute: str) -> Callable[[Doc], list[Any]]:
    return lambda doc: [item.get(attribute) for item in doc.get(key) or []]


def _categories(primary: bool, attribute: str) -> Callable[[Doc], list[Any]]:
    def read(doc: Doc) -> list[Any]:
        items = doc.get("inspectionCategories") or []
        # Real documents say "true"/"false"; CQC's API description says "Y"/"N".
        chosen = [i for i in items if (str(i.get("primary")).lower() in ("true", "y")) == primary]
        return [item.get(attribute) for item in chosen]

    return read


def _overall(doc: Doc) -> list[Any]:
    return [(doc.get("currentRatings") or {}).get("overall", {}).get("rating")]


FILTERS: dict[str, Callable[[Doc], list[Any]]] = {
    "careHome": _field("careHome"),
    "onspdCcgCode": _field("onspdCcgCode"),
    "onspdCcgName": _field("onspdCcgName"),
    "odsCcgCode": _field("odsCcgCode"),
    "odsCcgName": _field("odsCcgName"),
    "gacServiceTypeDescription": _listed("gacServiceTypes", "description"),
    "constituency": _field("constituency"),
    "localAuthority": _field("localAuthority"),
    "inspectionDirectorate": _field("inspectionDirectorate"),
    "nonPrimaryInspectionCategoryCode": _categories(False, "code"),
    "nonPrimaryInspectionCategoryName": _categories(False, "name"),
    "primaryInspectionCategoryCode": _categories(True, "code"),
    "primaryInspectionCategoryName": _categories(True, "name"),
    "overallRating": _overall,
    "region": _field("region"),
    "regulatedActivity": _listed("regulatedActivities", "name"),
    "reportType": _listed("reports", "reportType"),
}


def filters_of(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """The filter parameters of a query string's (name, value) pairs, repeated ones merged."""
    found: dict[str, set[str]] = {}
    for name, value in pairs:
        if name in FILTERS:
            found.setdefault(name, set()).add(_fold(value))
    return {name: frozenset(values) for name, values in found.items()}


def facts(doc: Doc) -> dict[str, frozenset[str]]:
    """Every filter's values for one document, folded for comparison."""
    return {
        name: frozenset(_fold(str(value)) for value in read(doc) if value not in (None, ""))
        for name, read in FILTERS.items()
    }


def matches(location: Mapping[str, frozenset[str]], filters: Filters) -> bool:
    return all(location[name] & wanted for name, wanted in filters.items())


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


class SearchIndex:
    """Filtered id lists of a population, built once per filter set between changes (a
    search is read page by page, and the pages must not each walk the register)."""

    def __init__(self, population: Any) -> None:
        self.population = population
        self._lists: dict[frozenset[tuple[str, frozenset[str]]], list[str]] = {}
        self._version = -1

    def matching(self, filters: Filters) -> list[str]:
        population = self.population
        if population.version != self._version:
            self._lists, self._version = {}, population.version
        key = frozenset(filters.items())
        if key not in self._lists:
            self._lists[key] = [i for i in population.ids() if matches(self._facts(i), filters)]
        return self._lists[key]

    def _facts(self, location_id: str) -> dict[str, frozenset[str]]:
        known = self.population.search_facts
        if location_id not in known:
            known[location_id] = facts(self.population.view(location_id))
        found: dict[str, frozenset[str]] = known[location_id]
        return found
