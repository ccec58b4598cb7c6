"""Request targets and the answers of each endpoint (pure functions of the population)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.sim import wire
from monitor.sim.feed import BadRequest, ChangeFeed, Paging, parse_timestamp, timestamp_query
from monitor.sim.population import Population

API_PREFIX = "/public/v1"
LISTS = ("locations", "changes")  # the paged endpoints

_API_PATTERNS = (
    ("locations", re.compile(r"/locations/?")),
    ("location", re.compile(r"/locations/(?P<id>[^/]+)")),
    ("provider", re.compile(r"/providers/(?P<id>[^/]+)")),
    ("provider_locations", re.compile(r"/providers/(?P<id>[^/]+)/locations")),
    ("changes", re.compile(r"/changes/(?P<id>location|provider)")),
    ("report", re.compile(r"/reports/(?P<id>[^/]+)")),
)
_WEB_PAGE = re.compile(r"/location/(?P<id>[^/]+)/reports/?")


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # locations, location, provider, provider_locations, changes, report, web, unknown
    path: str  # relative to the API base for API requests; as requested for website pages
    ident: str | None = None  # location or provider id; organisation type for changes

    @property
    def is_api(self) -> bool:
        return self.kind != "web" and self.path != ""

    @property
    def location_id(self) -> str | None:
        return self.ident if self.kind in ("location", "web") else None


def classify(path: str) -> Target:
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        relative = path[len(API_PREFIX) :] or "/"
        for kind, pattern in _API_PATTERNS:
            match = pattern.fullmatch(relative)
            if match:
                return Target(kind, relative, match.groupdict().get("id"))
        return Target("unknown", relative)
    match = _WEB_PAGE.fullmatch(path)
    if match:
        return Target("web", path, match["id"])
    return Target("unknown", "")


def answer(
    target: Target,
    population: Population,
    feed: ChangeFeed,
    query: dict[str, str],
    listed: Sequence[str] | None = None,
) -> wire.Response:
    """The response to an authorised API request (faults aside). ``listed``: the ids a
    filtered ``/locations`` request matches (None: the whole register)."""
    try:
        if target.kind == "locations":
            ids = population.ids() if listed is None else listed
            return _locations(population, Paging.from_query(query), ids)
        if target.kind == "changes":
            return _changes(target, population, feed, query)
    except BadRequest as problem:
        return wire.error(400, str(problem))
    ident = target.ident or ""
    if target.kind == "location" and ident in population:
        return wire.Response(200, population.body(ident))
    if target.kind == "provider" and population.has_provider(ident):
        return wire.json_response(population.provider_document(ident))
    if target.kind == "provider_locations" and population.has_provider(ident):
        return _provider_locations(population, ident)
    return wire.error(404)


def web_page(target: Target, population: Population) -> wire.Response:
    if target.ident not in population:
        return wire.Response(404, b"<!DOCTYPE html><title>Page not found</title>", wire.HTML)
    return wire.Response(200, population.page(target.ident or ""), wire.HTML)


def _item(population: Population, location_id: str) -> dict[str, str]:
    name, postcode = population.summary(location_id)
    return {"locationId": location_id, "locationName": name, "postalCode": postcode}


def _locations(population: Population, paging: Paging, ids: Sequence[str]) -> wire.Response:
    start = (paging.page - 1) * paging.per_page
    items = [_item(population, i) for i in ids[start : start + paging.per_page]]
    # Page the ids, not the items, so building one page never walks the whole register.
    envelope = paging.envelope("/locations", "locations", ids)
    envelope["locations"] = items
    return wire.json_response(envelope)


def _provider_locations(population: Population, provider_id: str) -> wire.Response:
    # CQC documents ``organisationId`` here; list fields are included for convenience.
    items = [
        {"organisationId": i, **_item(population, i)}
        for i in population.provider_location_ids(provider_id)
    ]
    return wire.json_response({"locations": items})


def _changes(
    target: Target, population: Population, feed: ChangeFeed, query: dict[str, str]
) -> wire.Response:
    paging = Paging.from_query(query)
    raw_start, raw_end = query.get("startTimestamp", ""), query.get("endTimestamp", "")
    start = parse_timestamp(raw_start, "startTimestamp")
    end = parse_timestamp(raw_end, "endTimestamp")
    if end < start:
        raise BadRequest("endTimestamp is before startTimestamp")
    changed = feed.between(start, end)
    if target.ident == "provider":
        owners = (population.provider_of(i) for i in changed if i in population)
        own = population.provider_changes.between(start, end)
        changed = list(dict.fromkeys((*owners, *own)))
    uri = f"/changes/{target.ident}"
    extra = timestamp_query(raw_start, raw_end)
    return wire.json_response(paging.envelope(uri, "changes", changed, extra))
