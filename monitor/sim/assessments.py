"""Single Assessment Framework (SAF) ratings of simulated locations, in CQC's real shape.

``assessment[] → {assessmentPlanPublishedDateTime, ratings: {overall: [item], asgRatings:
[item]}, assessmentServiceGroup: [...]}``. Items carry ``status`` "Current" or "Historic";
their key-question items carry ``status`` "Assessed". Social care publishes its rating as the
``asgRatings`` item of its service group ("Care Homes") with ``overall`` empty; healthcare
fills ``overall``. A re-assessment turns the current item "Historic" and adds a new one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from monitor.sim.inspections import KEY_QUESTIONS, SCALE, place

Doc = dict[str, Any]

# Spelling under SAF differs from the legacy ratings'.
_SAF_SPELLING = {"Requires improvement": "Requires Improvement"}
# Score bands CQC publishes per rating (percentage of the maximum score).
_SCORE_BANDS = {
    "Inadequate": (0, 38),
    "Requires Improvement": (39, 62),
    "Good": (63, 87),
    "Outstanding": (88, 100),
}
SOCIAL_CARE_GROUP = "Care Homes"
FIRST_PUBLISHED = date(2024, 1, 15)  # SAF reports were published from early 2024
LAST_PUBLISHED = date(2026, 10, 30)


def is_social_care(doc: Doc) -> bool:
    return doc.get("careHome") == "Y" or doc.get("type") == "Social Care Org"


def assess(
    doc: Doc,
    *,
    published: date | str,
    overall: str,
    key_questions: Mapping[str, str],
    plan_id: str,
    group: str | None = None,
    social_care: bool | None = None,
    scores: random.Random | None = None,
    narrative: str | None = None,
) -> None:
    """Publish an assessment: the location's current items turn "Historic", a new one is added.

    ``social_care`` (default: from the document) decides the shape: the ``asgRatings`` group
    with ``overall`` empty, or ``overall`` filled (and the group as well, when ``group`` is
    given). Key questions not in ``key_questions`` are not part of the new item.
    """
    day = published if isinstance(published, date) else date.fromisoformat(published)
    social = is_social_care(doc) if social_care is None else social_care
    group = group or (SOCIAL_CARE_GROUP if social else None)
    rng = scores or random.Random(plan_id)
    item = _item(plan_id, day, overall, key_questions, rng)
    if narrative is not None:
        item["narrative"] = narrative
    ratings: Doc = {"overall": [] if social else [item]}
    ratings["asgRatings"] = [{**item, "name": group}] if group else []
    entry: Doc = {"assessmentPlanPublishedDateTime": f"{day.isoformat()}T09:30:00Z"}
    entry["ratings"] = ratings
    if group:
        entry["assessmentServiceGroup"] = [{"name": group, "assessmentPlanId": plan_id}]
    history = _archived(doc.get("assessment", []))
    place(doc, "assessment", [entry, *history], ("currentRatings", "historicRatings"))


def assessed_on(doc: Doc, plan_id: str) -> str | None:
    """The assessment date of a plan's item, if the document has one."""
    for entry in doc.get("assessment", []):
        ratings = entry.get("ratings", {})
        for item in [*ratings.get("overall", []), *ratings.get("asgRatings", [])]:
            if item.get("assessmentPlanId") == plan_id:
                return str(item.get("assessmentDate") or "") or None
    return None


def _item(
    plan_id: str, day: date, overall: str, key_questions: Mapping[str, str], rng: random.Random
) -> Doc:
    return {
        "assessmentPlanId": plan_id,
        "title": "Assessment",
        "assessmentDate": (day - timedelta(days=rng.randint(20, 90))).isoformat(),
        "assessmentPlanStatus": "Assessed",
        "rating": _spelt(overall),
        "status": "Current",
        "keyQuestionRatings": [
            _question(name, rating, rng)
            for name in KEY_QUESTIONS
            if (rating := key_questions.get(name)) is not None
        ],
    }


def _question(name: str, rating: str, rng: random.Random) -> Doc:
    spelt = _spelt(rating)
    item: Doc = {"name": name, "rating": spelt, "status": "Assessed"}
    if band := _SCORE_BANDS.get(spelt):
        item["percentageScore"] = rng.randint(*band)
    return item


def _spelt(rating: str) -> str:
    return _SAF_SPELLING.get(rating, rating)


def _archived(assessments: list[Doc]) -> list[Doc]:
    """Earlier assessments with every current item turned "Historic" (copies)."""
    archived = []
    for entry in assessments:
        ratings = entry.get("ratings", {})
        turned = {
            key: [{**item, "status": "Historic"} for item in ratings.get(key, [])]
            for key in ("overall", "asgRatings")
        }
        archived.append({**entry, "ratings": turned})
    return archived


def generated(rng: random.Random, doc: Doc, plan_id: str) -> Doc:
    """The ``assessment`` field of a generated location rated under the legacy framework.

    Published some time after its last inspection, one step either way from its legacy
    ratings, more often down than up (as SAF re-ratings have tended to be). Empty when the
    location was inspected too recently for a SAF assessment.
    """
    legacy = doc.get("currentRatings", {}).get("overall", {})
    since = date.fromisoformat(legacy.get("reportDate", "2100-01-01")) + timedelta(days=200)
    first = max(since, FIRST_PUBLISHED)
    if first > LAST_PUBLISHED or legacy.get("rating") not in SCALE:
        return {}
    day = first + timedelta(days=rng.randint(0, (LAST_PUBLISHED - first).days))
    questions = {q["name"]: q["rating"] for q in legacy.get("keyQuestionRatings", [])}
    shifted = {name: _shift(rng, rating) for name, rating in questions.items() if rating in SCALE}
    fields: Doc = {}
    assess(
        fields,
        published=day,
        overall=_shift(rng, legacy["rating"]),
        key_questions=shifted,
        plan_id=plan_id,
        social_care=is_social_care(doc),
        scores=rng,
    )
    return fields


def _shift(rng: random.Random, rating: str) -> str:
    roll = rng.random()
    index = SCALE.index(rating)
    if roll < 0.2:
        index -= 1
    elif roll < 0.3:
        index += 1
    return SCALE[min(max(index, 0), len(SCALE) - 1)]
