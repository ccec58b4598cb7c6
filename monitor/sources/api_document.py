"""CQC Syndication API location JSON → ``Snapshot`` (SPEC §5.1).

Real documents omit empty fields, order key questions Safe, Well-led, Caring, Responsive,
Effective, spell ratings inconsistently, and may carry newer Single Assessment Framework
ratings under ``assessment[]``. Everything is matched by name and canonicalised here so the
diff only ever sees one spelling of one fact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from monitor.domain.ratings import canonical_question, canonical_rating, question_order
from monitor.domain.snapshot import REPORT_PAGE, PastRating, Rating, Report, Snapshot
from monitor.errors import MalformedResponseError
from monitor.sources import api_values as values
from monitor.sources.api_values import DocumentShapeError
from monitor.sources.assessment import assessment_history, assessment_ratings

_ADDRESS_FIELDS = (
    "postalAddressLine1",
    "postalAddressLine2",
    "postalAddressTownCity",
    "postalAddressCounty",
)
_CONTAINERS = (dict, list)
_PERSONAL_KEYS = frozenset(
    {"contacts", "nominatedIndividual", "personGivenName", "personFamilyName", "personTitle"}
)
_PERSONAL_KEY_BYTES = tuple(f'"{key}"'.encode() for key in sorted(_PERSONAL_KEYS))


def parse_location(doc: Any, expected_id: str | None = None) -> Snapshot:
    """Build a snapshot; a document we cannot trust raises ``MalformedResponseError``."""
    if not isinstance(doc, dict):
        raise MalformedResponseError(f"location document is {type(doc).__name__}, not an object")
    try:
        location_id = values.identifier(doc.get("locationId"), "locationId")
        if not location_id:
            raise DocumentShapeError("location document has no locationId")
        if expected_id and location_id != expected_id:
            raise DocumentShapeError(f"asked for {expected_id}, document is for {location_id}")
        snapshot = _snapshot(doc, location_id)
        # Hashing encodes every text as UTF-8: an unpaired surrogate escape fails here, for
        # this location, rather than later in the batch's transaction.
        snapshot.content_hash()
    except (ValueError, RecursionError) as exc:
        raise MalformedResponseError(f"unexpected document shape: {exc}") from exc
    return snapshot


def _snapshot(doc: dict[str, Any], location_id: str) -> Snapshot:
    address = ", ".join(v for v in (values.text(doc.get(k), k) for k in _ADDRESS_FIELDS) if v)
    ratings, superseded = current_ratings(doc)
    return Snapshot(
        location_id=location_id,
        name=values.text(doc.get("name"), "name")
        or values.text(doc.get("locationName"), "locationName")
        or location_id,
        provider_id=values.identifier(doc.get("providerId"), "providerId"),
        address=address or None,
        postcode=values.text(doc.get("postalCode"), "postalCode"),
        region=values.text(doc.get("region"), "region"),
        local_authority=values.text(doc.get("localAuthority"), "localAuthority"),
        location_type=values.text(doc.get("type"), "type"),
        care_home=values.flag(doc.get("careHome"), "careHome"),
        beds=values.whole_number(doc.get("numberOfBeds"), "numberOfBeds"),
        service_types=values.names(doc.get("gacServiceTypes"), "gacServiceTypes"),
        specialisms=values.names(doc.get("specialisms"), "specialisms"),
        registration_status=values.text(doc.get("registrationStatus"), "registrationStatus"),
        registration_date=values.iso_date(doc.get("registrationDate"), "registrationDate"),
        deregistration_date=values.iso_date(doc.get("deregistrationDate"), "deregistrationDate"),
        ratings=ratings,
        past_ratings=past_ratings(doc, superseded),
        reports=read_reports(doc.get("reports"), location_id),
    )


# -- ratings ---------------------------------------------------------------------------


def current_ratings(doc: dict[str, Any]) -> tuple[tuple[Rating, ...], list[Rating]]:
    """The effective rating per (service, question): the newest of both frameworks.

    Also returns the ratings that lost to a newer one (a legacy rating replaced by an
    assessment): they are the location's past, and the "before" of its first sight.
    """
    best: dict[tuple[str, str], Rating] = {}
    superseded: list[Rating] = []
    candidates = (*_legacy_ratings(doc.get("currentRatings")), *assessment_ratings(doc))
    for rating in candidates:
        held = best.get(rating.key)
        if held is None or _recency(rating) > _recency(held):
            best[rating.key] = rating
            if held is not None:
                superseded.append(held)
        else:
            superseded.append(rating)
    return tuple(sorted(best.values(), key=rating_order)), superseded


def _recency(rating: Rating) -> tuple[str, int]:
    # On equal dates the newer framework wins: CQC moves a location to it, never back.
    return (rating.date or "", 1 if rating.framework == "assessment" else 0)


def rating_order(rating: Rating) -> tuple[str, int, str]:
    return (rating.service or "", question_order(rating.question), rating.question)


def _legacy_ratings(current: Any) -> Iterator[Rating]:
    current = values.mapping(current, "currentRatings")
    if current is None:
        return
    overall = values.mapping(current.get("overall"), "currentRatings.overall")
    if overall:
        fallback = values.iso_date(current.get("reportDate"), "currentRatings.reportDate")
        yield from _rating_group(overall, service=None, fallback_date=fallback)
    for service in values.objects(current.get("serviceRatings"), "serviceRatings"):
        name = values.text(service.get("name"), "serviceRatings[].name")
        yield from _rating_group(service, service=name, fallback_date=None)


def _rating_group(
    group: dict[str, Any], *, service: str | None, fallback_date: str | None
) -> Iterator[Rating]:
    date = values.iso_date(group.get("reportDate"), "reportDate") or fallback_date
    link = values.link(group.get("reportLinkId"), "reportLinkId")
    for question, rating, item in _question_items(group):
        yield Rating(
            question=question,
            rating=rating,
            service=service,
            # A rating item's own date and report win over those of its group.
            date=values.iso_date(item.get("reportDate"), "reportDate") or date,
            report_link_id=values.link(item.get("reportLinkId"), "reportLinkId") or link,
            inherited_from=values.identifier(item.get("organisationId"), "organisationId"),
        )


def _question_items(group: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(question, canonical rating, item) of one rating group, Overall (the group) first."""
    if overall := values.text(group.get("rating"), "rating"):
        yield "Overall", canonical_rating(overall), group
    for item in values.objects(group.get("keyQuestionRatings"), "keyQuestionRatings"):
        name = values.text(item.get("name"), "keyQuestionRatings[].name")
        rating = values.text(item.get("rating"), "keyQuestionRatings[].rating")
        if name and rating:
            yield canonical_question(name), canonical_rating(rating), item


def past_ratings(doc: dict[str, Any], superseded: list[Rating]) -> tuple[PastRating, ...]:
    """historicRatings, historic assessments and superseded current ratings, newest first."""
    past = dict.fromkeys(_legacy_history(doc.get("historicRatings")))
    past.update(dict.fromkeys(assessment_history(doc)))
    past.update(
        dict.fromkeys(
            PastRating(r.date, r.report_link_id, r.question, r.rating, r.service)
            for r in superseded
        )
    )
    return tuple(sorted(past, key=past_order, reverse=True))


def past_order(past: PastRating) -> tuple[str, str, int]:
    return (past.report_date or "", past.service or "", question_order(past.question))


def _legacy_history(history: Any) -> Iterator[PastRating]:
    for entry in values.objects(history, "historicRatings"):
        date = values.iso_date(entry.get("reportDate"), "historicRatings[].reportDate")
        link = values.link(entry.get("reportLinkId"), "historicRatings[].reportLinkId")
        groups: list[tuple[str | None, dict[str, Any]]] = []
        overall = values.mapping(entry.get("overall"), "historicRatings[].overall")
        if overall is not None:
            groups.append((None, overall))
        for group in values.objects(entry.get("serviceRatings"), "serviceRatings"):
            groups.append((values.text(group.get("name"), "serviceRatings[].name"), group))
        for service_name, ratings in groups:
            for question, rating, _ in _question_items(ratings):
                yield PastRating(date, link, question, rating, service_name)


# -- reports ---------------------------------------------------------------------------


def read_reports(items: Any, owner_id: str, *, page: str = REPORT_PAGE) -> tuple[Report, ...]:
    seen: dict[str, Report] = {}
    for item in values.objects(items, "reports"):
        link = values.link(item.get("linkId"), "reports[].linkId") or values.link(
            item.get("reportUri"), "reports[].reportUri"
        )
        if not link or link in seen:
            continue
        seen[link] = Report(
            link_id=link,
            report_date=values.iso_date(item.get("reportDate"), "reports[].reportDate"),
            first_visit_date=values.iso_date(
                item.get("firstVisitDate"), "reports[].firstVisitDate"
            ),
            report_type=values.text(item.get("reportType"), "reports[].reportType"),
            url=page.format(location_id=owner_id, provider_id=owner_id, link_id=link),
        )
    return tuple(
        sorted(seen.values(), key=lambda r: (r.report_date or "", r.link_id), reverse=True)
    )


# -- personal data ---------------------------------------------------------------------


def redacted_payload(body: bytes | None, doc: Any) -> bytes:
    """The document as JSON without personal names, for the raw audit copy.

    A UTF-8 body in which none of the personal keys appears is kept byte for byte, which
    saves re-encoding it. Anything else is decoded and redacted: a body with a ``\\u``
    escape anywhere, since an escaped key would slip past the byte search, and one that does
    not start with ``{`` (another encoding, or leading whitespace).
    """
    if body is not None and _plainly_impersonal(body):
        return body
    redacted = redact_personal_names(doc)
    try:
        return json.dumps(redacted, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # An unpaired surrogate escape in a field we do not read: kept escaped, as received.
        return json.dumps(redacted, separators=(",", ":")).encode("ascii")


def _plainly_impersonal(body: bytes) -> bool:
    if not body.startswith(b"{") or b"\\u" in body:
        return False
    return not any(key in body for key in _PERSONAL_KEY_BYTES)


def redact_personal_names(doc: Any) -> Any:
    """A copy of the document without regulated-activity contacts or nominated individuals."""
    if isinstance(doc, dict):
        return {
            key: redact_personal_names(value) if isinstance(value, _CONTAINERS) else value
            for key, value in doc.items()
            if key not in _PERSONAL_KEYS
        }
    if isinstance(doc, list):
        # Only containers recurse: most values are plain strings, and a call each adds up.
        return [redact_personal_names(v) if isinstance(v, _CONTAINERS) else v for v in doc]
    return doc
