"""Saved searches: which locations a search of CQC's ``GET /locations`` filters matches.

A search is a set of the API's own filters (``localAuthority``, ``careHome``, ...). The API
resolves it on a full review; between reviews the same rule is applied here to a fetched
document's facts, so a location that registers, moves or changes type is judged the day it
appears in the change feed. One rule for both: values of one filter are alternatives ("any
of"), different filters must all hold, and text compares without regard to case or spacing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

# API filter → the LocationFacts attribute it is matched against. ``providerId`` is not an
# API filter: the API cannot list one provider's locations by query, so a search naming a
# provider is resolved through ``GET /providers/{id}`` and matched here like the rest.
FILTERS: Mapping[str, str] = {
    "localAuthority": "local_authority",
    "region": "region",
    "careHome": "care_home",
    "constituency": "constituency",
    "gacServiceTypeDescription": "service_types",
    "inspectionDirectorate": "inspection_directorate",
    "primaryInspectionCategoryName": "primary_categories",
    "primaryInspectionCategoryCode": "primary_category_codes",
    "nonPrimaryInspectionCategoryName": "non_primary_categories",
    "nonPrimaryInspectionCategoryCode": "non_primary_category_codes",
    "regulatedActivity": "regulated_activities",
    "overallRating": "overall_rating",
    "reportType": "report_types",
    "onspdCcgCode": "onspd_ccg_code",
    "onspdCcgName": "onspd_ccg_name",
    "odsCcgCode": "ods_ccg_code",
    "odsCcgName": "ods_ccg_name",
    "providerId": "provider_id",
}
PROVIDER_FILTER = "providerId"

# How each filter reads in a sentence: "local authority is now East Sussex".
LABELS: Mapping[str, str] = {
    "localAuthority": "local authority",
    "region": "region",
    "careHome": "care home",
    "constituency": "constituency",
    "gacServiceTypeDescription": "service types",
    "inspectionDirectorate": "inspection directorate",
    "primaryInspectionCategoryName": "primary inspection category",
    "primaryInspectionCategoryCode": "primary inspection category code",
    "nonPrimaryInspectionCategoryName": "other inspection categories",
    "nonPrimaryInspectionCategoryCode": "other inspection category codes",
    "regulatedActivity": "regulated activities",
    "overallRating": "overall rating",
    "reportType": "report types",
    "onspdCcgCode": "CCG code (ONSPD)",
    "onspdCcgName": "CCG (ONSPD)",
    "odsCcgCode": "CCG code (ODS)",
    "odsCcgName": "CCG (ODS)",
    "providerId": "provider",
}

Filters = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Search:
    """A named search: ``filters`` are (filter, accepted values) pairs in filter order."""

    name: str
    filters: Filters

    @classmethod
    def of(cls, name: str, filters: Mapping[str, tuple[str, ...] | list[str]]) -> Search:
        return cls(name, tuple(sorted((key, tuple(values)) for key, values in filters.items())))

    def fingerprint(self) -> str:
        """Changes when the filters do: the search is then baselined again, silently."""
        text = json.dumps(self.filters, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def api_filters(self) -> dict[str, tuple[str, ...]]:
        """The filters ``GET /locations`` understands (all but ``providerId``)."""
        return {key: values for key, values in self.filters if key != PROVIDER_FILTER}

    def providers(self) -> tuple[str, ...]:
        return next((values for key, values in self.filters if key == PROVIDER_FILTER), ())


@dataclass(frozen=True, slots=True)
class LocationFacts:
    """What searches are matched against, read from a location document (every field a
    tuple: absent is empty, and list fields such as service types hold several values)."""

    local_authority: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    care_home: tuple[str, ...] = ()  # "Y" or "N"
    constituency: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()  # gacServiceTypes[].description
    inspection_directorate: tuple[str, ...] = ()
    primary_categories: tuple[str, ...] = ()
    primary_category_codes: tuple[str, ...] = ()
    non_primary_categories: tuple[str, ...] = ()
    non_primary_category_codes: tuple[str, ...] = ()
    regulated_activities: tuple[str, ...] = ()
    overall_rating: tuple[str, ...] = ()  # currentRatings.overall.rating, as the API filters
    report_types: tuple[str, ...] = ()
    onspd_ccg_code: tuple[str, ...] = ()
    onspd_ccg_name: tuple[str, ...] = ()
    ods_ccg_code: tuple[str, ...] = ()
    ods_ccg_name: tuple[str, ...] = ()
    provider_id: tuple[str, ...] = ()

    def values(self, filter_name: str) -> tuple[str, ...]:
        found: tuple[str, ...] = getattr(self, FILTERS[filter_name])
        return found


def matches(search: Search, facts: LocationFacts) -> bool:
    """Every filter holds: the location has at least one of each filter's values."""
    return all(_holds(facts.values(key), wanted) for key, wanted in search.filters)


def mismatches(search: Search, facts: LocationFacts) -> list[tuple[str, tuple[str, ...]]]:
    """The filters that do not hold, each with what the location has instead."""
    return [
        (key, facts.values(key))
        for key, wanted in search.filters
        if not _holds(facts.values(key), wanted)
    ]


def matched_values(search: Search, facts: LocationFacts) -> dict[str, list[str]]:
    """Per filter, the location's values that satisfied it (for an event's details)."""
    found: dict[str, list[str]] = {}
    for key, wanted in search.filters:
        accepted = {_folded(value) for value in wanted}
        found[key] = [value for value in facts.values(key) if _folded(value) in accepted]
    return found


def _holds(values: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    accepted = {_folded(value) for value in wanted}
    return any(_folded(value) in accepted for value in values)


def _folded(value: str) -> str:
    # CQC spells the same value in more than one case ("Requires Improvement").
    return " ".join(value.split()).casefold()
