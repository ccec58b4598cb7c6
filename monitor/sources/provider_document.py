"""CQC Syndication API provider JSON → ``Snapshot`` of the provider rated as a whole (SPEC §2.1.2).

NHS trusts and some large independent providers are rated above their locations: overall, the
five key questions and, for acute trusts, use of resources. ``/providers/{id}`` carries them in
the shape of a location's legacy ratings, so they are read by the location's own rules
(:mod:`.api_document`): key questions by name, spellings canonicalised, inherited ratings marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.domain.ratings import USE_OF_RESOURCES, canonical_rating
from monitor.domain.snapshot import PROVIDER_REPORT_PAGE, PastRating, Rating, Snapshot
from monitor.errors import MalformedResponseError
from monitor.sources import api_values as values
from monitor.sources.api_document import (
    current_ratings,
    past_order,
    past_ratings,
    rating_order,
    read_reports,
)
from monitor.sources.api_values import DocumentShapeError


def parse_provider(doc: Any, expected_id: str) -> Snapshot:
    """A provider rated as a whole (SPEC §2.1.2): its own ratings, its reports of type
    ``Provider`` and its registration, read by the same rules as a location's. A document we
    cannot trust raises ``MalformedResponseError``."""
    if not isinstance(doc, dict):
        raise MalformedResponseError(f"provider document is {type(doc).__name__}, not an object")
    try:
        provider_id = values.identifier(doc.get("providerId"), "providerId")
        if provider_id != expected_id:
            raise DocumentShapeError(
                f"asked for provider {expected_id}, document is for {provider_id}"
            )
        ratings, superseded = current_ratings(doc)
        ratings = tuple(sorted((*ratings, *_resources_rating(doc)), key=rating_order))
        reports = read_reports(doc.get("reports"), provider_id, page=PROVIDER_REPORT_PAGE)
        snapshot = Snapshot(
            location_id=provider_id,
            name=values.text(doc.get("name"), "name") or provider_id,
            registration_status=values.text(doc.get("registrationStatus"), "registrationStatus"),
            registration_date=values.iso_date(doc.get("registrationDate"), "registrationDate"),
            deregistration_date=values.iso_date(
                doc.get("deregistrationDate"), "deregistrationDate"
            ),
            ratings=ratings,
            past_ratings=tuple(
                sorted(
                    (*past_ratings(doc, superseded), *_resources_history(doc)),
                    key=past_order,
                    reverse=True,
                )
            ),
            reports=tuple(r for r in reports if r.report_type == "Provider"),
            kind="provider",
        )
        snapshot.content_hash()
    except (ValueError, RecursionError) as exc:
        raise MalformedResponseError(f"unexpected document shape: {exc}") from exc
    return snapshot


def _resources_rating(doc: dict[str, Any]) -> Iterator[Rating]:
    """An acute trust's current use of resources, rated beside its key questions."""
    current = values.mapping(doc.get("currentRatings"), "currentRatings")
    overall = values.mapping((current or {}).get("overall"), "currentRatings.overall")
    for rating, item in _resources_items(overall):
        yield Rating(
            question=USE_OF_RESOURCES,
            rating=rating,
            date=values.iso_date(item.get("reportDate"), "reportDate")
            or values.iso_date((overall or {}).get("reportDate"), "reportDate"),
            report_link_id=values.link(item.get("reportLinkId"), "reportLinkId")
            or values.link((overall or {}).get("reportLinkId"), "reportLinkId"),
            inherited_from=values.identifier(item.get("organisationId"), "organisationId"),
        )


def _resources_history(doc: dict[str, Any]) -> Iterator[PastRating]:
    for entry in values.objects(doc.get("historicRatings"), "historicRatings"):
        overall = values.mapping(entry.get("overall"), "historicRatings[].overall")
        for rating, _ in _resources_items(overall):
            date = values.iso_date(entry.get("reportDate"), "historicRatings[].reportDate")
            link = values.link(entry.get("reportLinkId"), "historicRatings[].reportLinkId")
            yield PastRating(date, link, USE_OF_RESOURCES, rating)


def _resources_items(overall: dict[str, Any] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    resources = values.mapping((overall or {}).get("useOfResources"), "useOfResources")
    if resources:
        rating = values.text(resources.get("useOfResourcesRating"), "useOfResourcesRating")
        if rating:
            yield canonical_rating(rating), resources
