"""The assessment framework's narrative fields as a report's words: the assessment the report
publishes, and never another's."""

from __future__ import annotations

from typing import Any

from monitor.sources.report_text import assessment_narrative

# Constructed documents in the shape of SPEC 2.1.1 (the fields narrative, commentary,
# overallPeopleExperience as consumers of the full feed see them).


def document(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"locationId": "1-1", "assessment": list(entries)}


def entry(plan: str, published: str, **item: Any) -> dict[str, Any]:
    body = {"assessmentPlanId": plan, "rating": "Inadequate", "status": "Current", **item}
    return {
        "assessmentPlanPublishedDateTime": f"{published}T09:30:00Z",
        "ratings": {"overall": [body], "asgRatings": []},
    }


def test_the_narrative_of_the_assessment_the_report_publishes() -> None:
    doc = document(
        entry(
            "AP2",
            "2025-06-01",
            narrative="<p>We found <b>3</b> breaches of regulation.</p>",
            keyQuestionRatings=[
                {
                    "name": "Safe",
                    "rating": "Inadequate",
                    "commentary": "<p>Medicines &amp; risk.</p>",
                }
            ],
        ),
        entry("AP1", "2024-01-10", narrative="<p>An older assessment.</p>"),
    )
    assert assessment_narrative(doc, "AP2", "2025-06-01") == (
        "We found 3 breaches of regulation.\n\nSafe\nMedicines & risk."
    )


def test_the_only_assessment_published_the_report_s_day_is_its() -> None:
    doc = document(entry("AP9", "2025-06-01", overallPeopleExperience="People felt unsafe."))
    assert assessment_narrative(doc, "uuid-of-the-report", "2025-06-01") == "People felt unsafe."


def test_never_another_assessment_s_words() -> None:
    doc = document(
        entry("AP1", "2025-06-01", narrative="First."),
        entry("AP2", "2025-06-01", narrative="Second."),
    )
    # Two assessments published that day: which one the report is cannot be told.
    assert assessment_narrative(doc, "uuid-of-the-report", "2025-06-01") is None
    assert assessment_narrative(doc, "uuid-of-the-report", "2025-07-01") is None
    assert assessment_narrative({"locationId": "1-1"}, "AP1", "2025-06-01") is None


def test_odd_shapes_are_no_narrative() -> None:
    for doc in ({"assessment": "text"}, {"assessment": [1, None]}, [], None):
        assert assessment_narrative(doc, "AP1", "2025-06-01") is None
    doc = document(entry("AP1", "2025-06-01", narrative=42))
    assert assessment_narrative(doc, "AP1", "2025-06-01") is None
