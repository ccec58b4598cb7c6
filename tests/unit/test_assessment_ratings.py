"""Single Assessment Framework ratings read by SPEC 2.1.1's rules, from documents in CQC's
real shape: item ``status`` decides currency, key questions say "Assessed", and a social care
location's rating is its ``asgRatings`` group with ``overall`` empty."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.domain.diff import diff
from monitor.domain.snapshot import Snapshot
from monitor.errors import MalformedResponseError
from monitor.sources.api_document import parse_location
from tests.support import documents as docs

NOW = "2026-11-29T07:00:00Z"
ALL_QUESTIONS = {
    "Safe": "Inadequate",
    "Effective": "Good",
    "Caring": "Good",
    "Responsive": "Good",
    "Well-led": "Requires Improvement",
}


def ratings(snapshot: Snapshot) -> dict[tuple[str | None, str], tuple[str, str]]:
    return {(r.service, r.question): (r.rating, r.framework) for r in snapshot.ratings}


def social_care_assessed(**overrides: Any) -> docs.Doc:
    arguments: dict[str, Any] = {
        "published": "2026-10-15",
        "overall": "Requires Improvement",
        "key_questions": ALL_QUESTIONS,
    }
    arguments.update(overrides)
    return docs.with_assessment(docs.real(docs.HENLEY), **arguments)


def items(doc: docs.Doc, key: str) -> list[dict[str, Any]]:
    return [item for entry in doc["assessment"] for item in entry["ratings"][key]]


def test_the_fixture_has_the_real_shape() -> None:
    doc = social_care_assessed()
    assert items(doc, "overall") == []
    (group,) = items(doc, "asgRatings")
    assert (group["name"], group["status"]) == ("Care Homes", "Current")
    assert {kq["status"] for kq in group["keyQuestionRatings"]} == {"Assessed"}


def test_social_care_group_is_the_location_rating_and_its_assessed_key_questions_count() -> None:
    snapshot = parse_location(social_care_assessed())

    assert ratings(snapshot) == {
        (None, "Overall"): ("Requires improvement", "assessment"),
        (None, "Safe"): ("Inadequate", "assessment"),
        (None, "Effective"): ("Good", "assessment"),
        (None, "Caring"): ("Good", "assessment"),
        (None, "Responsive"): ("Good", "assessment"),
        (None, "Well-led"): ("Requires improvement", "assessment"),
    }
    overall = snapshot.rating("Overall")
    assert overall is not None
    assert (overall.date, overall.report_link_id) == ("2026-10-15", "AP-2025-0001")


def test_healthcare_overall_item_is_the_location_rating_and_groups_are_services() -> None:
    doc = docs.with_assessment(
        docs.real(docs.HENLEY),
        published="2026-10-15",
        overall="Good",
        key_questions={"Safe": "Requires Improvement"},
        social_care=False,
        group="Urgent and emergency care",
    )
    snapshot = parse_location(doc)

    assert ratings(snapshot)[(None, "Overall")] == ("Good", "assessment")
    assert ratings(snapshot)[(None, "Safe")] == ("Requires improvement", "assessment")
    # Questions the assessment did not rate keep their legacy rating.
    assert ratings(snapshot)[(None, "Caring")] == ("Good", "legacy")
    assert ratings(snapshot)[("Urgent and emergency care", "Overall")] == ("Good", "assessment")


def test_several_current_groups_newest_is_the_location_and_each_is_a_service() -> None:
    doc = social_care_assessed(published="2026-03-01", overall="Good", group="Homecare agencies")
    newer = social_care_assessed(published="2026-09-01", overall="Inadequate", plan_id="AP-2")
    # Two service groups, both current: the homecare item stays current next to the care home.
    doc["assessment"].insert(0, newer["assessment"][0])
    snapshot = parse_location(doc)

    assert ratings(snapshot)[(None, "Overall")] == ("Inadequate", "assessment")
    assert ratings(snapshot)[("Care Homes", "Overall")] == ("Inadequate", "assessment")
    assert ratings(snapshot)[("Homecare agencies", "Overall")] == ("Good", "assessment")


@pytest.mark.parametrize(
    ("status", "counts"),
    [("Current", True), ("CURRENT", True), (None, True), ("Historic", False), ("Draft", False)],
    ids=str,
)
def test_item_status_alone_decides_currency(status: str | None, counts: bool) -> None:
    doc = social_care_assessed()
    (group,) = items(doc, "asgRatings")
    if status is None:
        del group["status"]
    else:
        group["status"] = status
    group["assessmentPlanStatus"] = "In progress"  # decides nothing

    overall = parse_location(doc).rating("Overall")
    assert overall is not None
    assert overall.framework == ("assessment" if counts else "legacy")


def test_only_historic_assessments_fall_back_to_current_ratings() -> None:
    doc = social_care_assessed()
    for item in items(doc, "asgRatings"):
        item["status"] = "Historic"
    snapshot = parse_location(doc)

    assert ratings(snapshot)[(None, "Overall")] == ("Good", "legacy")
    past = {(p.report_date, p.question): p.rating for p in snapshot.past_ratings}
    assert past[("2026-10-15", "Safe")] == "Inadequate"  # kept for the audit trail


def test_assessment_only_location_without_current_ratings() -> None:
    doc = docs.without_current_ratings(social_care_assessed())
    assert ratings(parse_location(doc))[(None, "Overall")] == ("Requires improvement", "assessment")


def test_non_rating_values_are_canonicalised() -> None:
    questions = {"Safe": "Evidence requirements partially scored", "Caring": "Good"}
    snapshot = parse_location(social_care_assessed(key_questions=questions))
    assert ratings(snapshot)[(None, "Safe")] == (
        "Evidence requirements partially scored",
        "assessment",
    )


def test_legacy_good_then_assessment_decline_is_critical_with_both_rows() -> None:
    before = docs.real(docs.HENLEY)
    (event,) = diff(parse_location(before), parse_location(social_care_assessed()), detected_at=NOW)

    assert (event.type, event.severity) == ("rating_changed", "critical")
    rows = {(c["service"], c["question"]): c for c in event.details["changes"]}
    assert rows[(None, "Overall")] == {
        "question": "Overall",
        "service": None,
        "old": "Good",
        "new": "Requires improvement",
        "direction": "declined",
        "framework": "assessment",
    }
    assert rows[(None, "Safe")]["old"] == "Good"
    assert rows[(None, "Safe")]["new"] == "Inadequate"
    assert ("Care Homes", "Overall") not in rows  # the group is the location, not a service
    assert event.details["framework"] == "assessment"
    assert event.details["report_date"] == "2026-10-15"
    assert event.details["report_link_id"] == "AP-2025-0001"
    assert "(new assessment, published 2026-10-15)" in event.summary


def test_re_assessment_is_a_change_and_the_historic_item_is_not_compared() -> None:
    first = social_care_assessed()
    second = docs.with_assessment(
        first,
        published="2026-11-20",
        overall="Good",
        key_questions={**ALL_QUESTIONS, "Safe": "Good", "Well-led": "Good"},
        plan_id="AP-2026-0002",
    )
    assert [i["status"] for i in items(second, "asgRatings")] == ["Current", "Historic"]

    (event,) = diff(parse_location(first), parse_location(second), detected_at=NOW)
    rows = {c["question"]: (c["old"], c["new"], c["direction"]) for c in event.details["changes"]}
    assert rows == {
        "Overall": ("Requires improvement", "Good", "improved"),
        "Safe": ("Inadequate", "Good", "improved"),
        "Well-led": ("Requires improvement", "Good", "improved"),
    }
    assert event.severity == "info"
    assert event.details["report_link_id"] == "AP-2026-0002"


def test_same_assessment_read_twice_is_no_change() -> None:
    doc = social_care_assessed()
    assert diff(parse_location(doc), parse_location(docs.variant(doc)), detected_at=NOW) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["assessment"][0].update(ratings=["not", "an", "object"]),
        lambda d: d["assessment"][0]["ratings"].update(asgRatings="Care Homes"),
        lambda d: d["assessment"][0]["ratings"]["asgRatings"][0].update(rating={"x": 1}),
        lambda d: d["assessment"][0].update(assessmentPlanPublishedDateTime="last week"),
    ],
    ids=["ratings-list", "groups-text", "rating-object", "date-text"],
)
def test_a_garbled_assessment_is_an_error_not_no_ratings(mutate: Any) -> None:
    doc = social_care_assessed()
    mutate(doc)
    with pytest.raises(MalformedResponseError):
        parse_location(doc)
