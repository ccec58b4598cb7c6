"""CQC Syndication API location JSON → ``Snapshot`` (SPEC §5.1).

Real documents omit empty fields, order key questions Safe, Well-led, Caring, Responsive,
Effective, spell ratings inconsistently, and may carry newer Single Assessment Framework
ratings under ``assessment[]``. Everything is matched by name and canonicalised here so the
diff only ever sees one spelling of one fact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from monitor.domain.ratings import canonical_question, canonical_rating, question_order
from monitor.domain.snapshot import REPORT_PAGE, PastRating, Rating, Report, Snapshot
from monitor.errors import MalformedResponseError

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
    location_id = _text(doc.get("locationId"))
    if not location_id:
        raise MalformedResponseError("location document has no locationId")
    if expected_id and location_id != expected_id:
        raise MalformedResponseError(f"asked for {expected_id}, document is for {location_id}")
    try:
        return _snapshot(doc, location_id)
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        raise MalformedResponseError(f"unexpected document shape: {exc}") from exc


def _snapshot(doc: dict[str, Any], location_id: str) -> Snapshot:
    address = ", ".join(v for v in (_text(doc.get(k)) for k in _ADDRESS_FIELDS) if v)
    return Snapshot(
        location_id=location_id,
        name=_text(doc.get("name")) or _text(doc.get("locationName")) or location_id,
        provider_id=_text(doc.get("providerId")),
        address=address or None,
        postcode=_text(doc.get("postalCode")),
        region=_text(doc.get("region")),
        local_authority=_text(doc.get("localAuthority")),
        location_type=_text(doc.get("type")),
        care_home=_flag(doc.get("careHome")),
        beds=_int(doc.get("numberOfBeds")),
        service_types=_names(doc.get("gacServiceTypes")),
        specialisms=_names(doc.get("specialisms")),
        registration_status=_text(doc.get("registrationStatus")),
        registration_date=_date(doc.get("registrationDate")),
        deregistration_date=_date(doc.get("deregistrationDate")),
        ratings=_current_ratings(doc),
        past_ratings=_past_ratings(doc.get("historicRatings")),
        reports=_reports(doc.get("reports"), location_id),
    )


# -- ratings ---------------------------------------------------------------------------


def _current_ratings(doc: dict[str, Any]) -> tuple[Rating, ...]:
    """The effective rating per (service, question): the newest of both frameworks."""
    best: dict[tuple[str, str], Rating] = {}
    candidates = (*_legacy_ratings(doc.get("currentRatings")), *_assessment_ratings(doc))
    for rating in candidates:
        held = best.get(rating.key)
        if held is None or _recency(rating) > _recency(held):
            best[rating.key] = rating
    return tuple(sorted(best.values(), key=_rating_order))


def _recency(rating: Rating) -> tuple[str, int]:
    # On equal dates the newer framework wins: CQC moves a location to it, never back.
    return (rating.date or "", 1 if rating.framework == "assessment" else 0)


def _rating_order(rating: Rating) -> tuple[str, int, str]:
    return (rating.service or "", question_order(rating.question), rating.question)


def _legacy_ratings(current: Any) -> Iterator[Rating]:
    if current is None:
        return
    if not isinstance(current, dict):
        raise ValueError("currentRatings is not an object")
    overall = current.get("overall")
    if overall is not None and not isinstance(overall, dict):
        raise ValueError("currentRatings.overall is not an object")
    if overall:
        yield from _rating_group(
            overall, service=None, fallback_date=_date(current.get("reportDate"))
        )
    for service in _dicts(current.get("serviceRatings")):
        yield from _rating_group(service, service=_text(service.get("name")), fallback_date=None)


def _rating_group(
    group: dict[str, Any], *, service: str | None, fallback_date: str | None
) -> Iterator[Rating]:
    date = _date(group.get("reportDate")) or fallback_date
    link = _link(group.get("reportLinkId"))
    if _text(group.get("rating")):
        yield _rating(group, "Overall", service, date, link)
    for item in _dicts(group.get("keyQuestionRatings")):
        name = _text(item.get("name"))
        if name and _text(item.get("rating")):
            yield _rating(item, canonical_question(name), service, date, link)


def _question_ratings(group: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(question, rating) of one group, Overall first: all a historic rating keeps."""
    if _text(group.get("rating")):
        yield "Overall", canonical_rating(str(group["rating"]))
    for item in _dicts(group.get("keyQuestionRatings")):
        name = _text(item.get("name"))
        if name and _text(item.get("rating")):
            yield canonical_question(name), canonical_rating(str(item["rating"]))


def _rating(
    item: dict[str, Any],
    question: str,
    service: str | None,
    date: str | None,
    link: str | None,
    framework: str = "legacy",
) -> Rating:
    """A rating item; its own date and report win over those of its group."""
    return Rating(
        question=question,
        rating=canonical_rating(str(item["rating"])),
        service=service,
        date=_date(item.get("reportDate")) or date,
        report_link_id=_link(item.get("reportLinkId")) or link,
        inherited_from=_text(item.get("organisationId")),
        framework=framework,
    )


def _assessment_ratings(doc: dict[str, Any]) -> Iterator[Rating]:
    for assessment in _dicts(doc.get("assessment")):
        published = _date(assessment.get("assessmentPlanPublishedDateTime"))
        ratings = assessment.get("ratings")
        if not isinstance(ratings, dict):
            continue
        for item in _dicts(ratings.get("overall")):
            yield from _assessment_group(item, None, published)
        for item in _dicts(ratings.get("asgRatings")):
            yield from _assessment_group(item, _text(item.get("name")), published)


def _assessment_group(
    item: dict[str, Any], service: str | None, published: str | None
) -> Iterator[Rating]:
    if not _is_current(item):
        return
    date = published or _date(item.get("assessmentDate"))
    link = _text(item.get("assessmentPlanId"))
    if _text(item.get("rating")):
        yield _rating(item, "Overall", service, date, link, "assessment")
    for kq in _dicts(item.get("keyQuestionRatings")):
        name = _text(kq.get("name"))
        if name and _text(kq.get("rating")) and _is_current(kq):
            yield _rating(kq, canonical_question(name), service, date, link, "assessment")


def _is_current(item: dict[str, Any]) -> bool:
    status = _text(item.get("status"))
    return status is None or status.casefold() == "current"


def _past_ratings(history: Any) -> tuple[PastRating, ...]:
    past: list[PastRating] = []
    for entry in _dicts(history):
        date, link = _date(entry.get("reportDate")), _link(entry.get("reportLinkId"))
        groups: list[tuple[str | None, dict[str, Any]]] = []
        if isinstance(entry.get("overall"), dict):
            groups.append((None, entry["overall"]))
        groups.extend((_text(s.get("name")), s) for s in _dicts(entry.get("serviceRatings")))
        for service, group in groups:
            past.extend(
                PastRating(date, link, question, rating, service)
                for question, rating in _question_ratings(group)
            )
    return tuple(
        sorted(
            past,
            key=lambda p: (p.report_date or "", p.service or "", question_order(p.question)),
            reverse=True,
        )
    )


# -- reports ---------------------------------------------------------------------------


def _reports(items: Any, location_id: str) -> tuple[Report, ...]:
    seen: dict[str, Report] = {}
    for item in _dicts(items):
        link = _link(item.get("linkId")) or _link(item.get("reportUri"))
        if not link or link in seen:
            continue
        seen[link] = Report(
            link_id=link,
            report_date=_date(item.get("reportDate")),
            first_visit_date=_date(item.get("firstVisitDate")),
            report_type=_text(item.get("reportType")),
            url=REPORT_PAGE.format(location_id=location_id, link_id=link),
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
    text = json.dumps(redact_personal_names(doc), separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


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


# -- scalar helpers --------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _date(value: Any) -> str | None:
    text = _text(value)
    return text[:10] if text else None


def _link(value: Any) -> str | None:
    """``/reports/8d75…?20220420120000`` and ``8d75…`` are the same report."""
    text = _text(value)
    if not text:
        return None
    return text.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _flag(value: Any) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    return text.casefold() in {"y", "yes", "true"}


def _names(items: Any) -> tuple[str, ...]:
    return tuple(sorted({n for n in (_text(i.get("name")) for i in _dicts(items)) if n}))


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    """The objects of a list field. A field of the wrong shape is an error, not "no ratings":
    reading garbage as an empty list would raise false alarms on the next diff."""
    if value is None:
        return ()
    if isinstance(value, dict):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise ValueError(f"expected a list of objects, got {type(value).__name__}")
