"""Real CQC location documents and the composed variants the tests need.

Every variant starts from a real API response (tests/fixtures/cqc/locations/) and changes
only what the scenario is about, so the rest of the document keeps the real shape.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from monitor.sim import assessments

LOCATIONS = Path(__file__).parents[1] / "fixtures" / "cqc" / "locations"
HENLEY, LUCERNE, ALLIED = "1-10000302982", "1-125856395", "1-134558905"

Doc = dict[str, Any]


def real(location_id: str) -> Doc:
    return json.loads((LOCATIONS / f"{location_id}.json").read_text(encoding="utf-8"))


def all_real() -> dict[str, Doc]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(LOCATIONS.glob("*.json"))}


def variant(doc: Doc) -> Doc:
    return copy.deepcopy(doc)


def set_key_question(doc: Doc, question: str, rating: str) -> Doc:
    doc = variant(doc)
    overall = doc["currentRatings"]["overall"]
    if question == "Overall":
        overall["rating"] = rating
        return doc
    for item in overall["keyQuestionRatings"]:
        if item["name"] == question:
            item["rating"] = rating
    return doc


def add_report(doc: Doc, link_id: str, report_date: str, first_visit: str) -> Doc:
    doc = variant(doc)
    doc["reports"].insert(
        0,
        {
            "linkId": link_id,
            "reportDate": report_date,
            "firstVisitDate": first_visit,
            "reportUri": f"/reports/{link_id}?{report_date.replace('-', '')}120000",
            "reportType": "Location",
        },
    )
    return doc


def rate_with_report(doc: Doc, ratings: dict[str, str], link_id: str, report_date: str) -> Doc:
    """A new inspection: new report, and currentRatings from it for the given questions."""
    doc = add_report(doc, link_id, report_date, report_date)
    overall = doc["currentRatings"]["overall"]
    for question, rating in ratings.items():
        target = (
            overall
            if question == "Overall"
            else next(k for k in overall["keyQuestionRatings"] if k["name"] == question)
        )
        target.update(rating=rating, reportDate=report_date, reportLinkId=link_id)
    return doc


def deregister(doc: Doc, when: str) -> Doc:
    doc = variant(doc)
    doc["registrationStatus"] = "Deregistered"
    doc["deregistrationDate"] = when
    return doc


def reorder_key_questions(doc: Doc) -> Doc:
    doc = variant(doc)
    doc["currentRatings"]["overall"]["keyQuestionRatings"].reverse()
    return dict(reversed(list(doc.items())))


def with_assessment(
    doc: Doc,
    *,
    published: str,
    overall: str,
    key_questions: dict[str, str],
    social_care: bool | None = None,
    group: str | None = None,
    plan_id: str = "AP-2025-0001",
) -> Doc:
    """A Single Assessment Framework rating in CQC's real shape (see ``monitor.sim``):
    a social care location's rating is its ``asgRatings`` group with ``overall`` empty; the
    previous current assessment, if any, turns "Historic"."""
    doc = variant(doc)
    assessments.assess(
        doc,
        published=published,
        overall=overall,
        key_questions=key_questions,
        plan_id=plan_id,
        group=group,
        social_care=social_care,
    )
    return doc


def without_current_ratings(doc: Doc) -> Doc:
    doc = variant(doc)
    doc.pop("currentRatings", None)
    return doc


def inherit_ratings(doc: Doc, predecessor: str, rating: str) -> Doc:
    """A re-registered location showing its predecessor's ratings (``organisationId`` set)."""
    doc = variant(doc)
    overall = doc["currentRatings"]["overall"]
    overall.update(rating=rating, organisationId=predecessor)
    for item in overall["keyQuestionRatings"]:
        item.update(rating=rating, organisationId=predecessor)
    return doc
