"""Composed variants of real documents → exactly the expected events (SPEC §5.2)."""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.diff import diff
from monitor.domain.snapshot import Report, Snapshot, TimelineEntry
from monitor.sources.api_document import parse_location
from tests.support import documents as docs

NOW = "2026-11-29T07:00:00Z"


def snap(doc: docs.Doc) -> Snapshot:
    return parse_location(doc)


def events_between(before: docs.Doc, after: docs.Doc) -> list:  # type: ignore[type-arg]
    return diff(snap(before), snap(after), detected_at=NOW)


def test_downgrade_of_one_key_question_only() -> None:
    henley = docs.real(docs.HENLEY)
    (event,) = events_between(henley, docs.set_key_question(henley, "Safe", "Requires improvement"))

    assert event.type == "rating_changed"
    assert event.severity == "warning"
    assert event.details["changes"] == [
        {
            "question": "Safe",
            "service": None,
            "old": "Good",
            "new": "Requires improvement",
            "direction": "declined",
            "framework": "legacy",
        }
    ]
    assert event.details["framework"] == "legacy"
    assert event.details["report_link_id"] == "8d751af1-d418-4d70-956d-eac92d2c9ff6"
    assert event.location.url == "https://www.cqc.org.uk/location/1-10000302982"
    assert event.summary == (
        "Henley House: Safe: Good → Requires improvement (inspection report, published 2022-04-20)."
    )


def test_overall_decline_is_critical_and_lists_overall_first() -> None:
    henley = docs.real(docs.HENLEY)
    after = docs.rate_with_report(
        henley,
        {"Safe": "Requires improvement", "Overall": "Requires improvement"},
        "new-1",
        "2026-11-20",
    )
    events = events_between(henley, after)

    rating = next(e for e in events if e.type == "rating_changed")
    assert rating.severity == "critical"
    assert [c["question"] for c in rating.details["changes"]] == ["Overall", "Safe"]
    assert rating.details["report_date"] == "2026-11-20"
    assert rating.details["report_link_id"] == "new-1"
    assert rating.details["report_url"].endswith("/reports/new-1")
    assert [e.type for e in events] == ["rating_changed", "new_inspection"]


def test_anything_becoming_inadequate_is_critical() -> None:
    henley = docs.real(docs.HENLEY)
    (event,) = events_between(henley, docs.set_key_question(henley, "Caring", "Inadequate"))
    assert event.severity == "critical"


def test_overall_improving_is_info() -> None:
    lucerne_2015 = docs.set_key_question(docs.real(docs.LUCERNE), "Overall", "Good")
    (event,) = events_between(lucerne_2015, docs.real(docs.LUCERNE))
    assert event.severity == "info"
    assert event.details["changes"][0]["direction"] == "improved"
    assert event.details["changes"][0]["new"] == "Outstanding"


def test_new_report_appearing() -> None:
    henley = docs.real(docs.HENLEY)
    (event,) = events_between(henley, docs.add_report(henley, "rep-2", "2026-10-01", "2026-09-02"))

    assert event.type == "new_inspection"
    assert event.severity == "info"
    assert event.details == {
        "report_link_id": "rep-2",
        "report_date": "2026-10-01",
        "first_visit_date": "2026-09-02",
        "report_type": "Location",
        "report_url": "https://www.cqc.org.uk/location/1-10000302982/reports/rep-2",
        "findings": None,  # the cycle reads them from the report's text
    }


def test_deregistration_is_critical() -> None:
    henley = docs.real(docs.HENLEY)
    (event,) = events_between(henley, docs.deregister(henley, "2026-11-28"))

    assert event.type == "registration_changed"
    assert event.severity == "critical"
    assert event.details == {
        "old": "Registered",
        "new": "Deregistered",
        "deregistration_date": "2026-11-28",
    }


def test_inherited_rating_on_re_registered_location_is_not_a_rating_change() -> None:
    fresh = docs.variant(docs.real(docs.HENLEY))
    fresh["currentRatings"]["overall"]["rating"] = "No published rating"
    for item in fresh["currentRatings"]["overall"]["keyQuestionRatings"]:
        item["rating"] = "No published rating"
    inherited = docs.inherit_ratings(fresh, "1-555000111", "Requires improvement")

    assert [e.type for e in events_between(fresh, inherited)] == []


def test_unchanged_refetch_produces_no_event() -> None:
    assert events_between(docs.real(docs.LUCERNE), docs.real(docs.LUCERNE)) == []


def test_key_questions_in_a_different_order_produce_no_event() -> None:
    henley = docs.real(docs.HENLEY)
    assert events_between(henley, docs.reorder_key_questions(henley)) == []


def test_first_sight_is_a_silent_baseline_unless_configured() -> None:
    current = snap(docs.real(docs.HENLEY))
    assert diff(None, current, detected_at=NOW) == []
    (event,) = diff(None, current, detected_at=NOW, first_seen="alert")
    assert event.type == "rating_changed"
    assert {c["old"] for c in event.details["changes"]} == {None}


def test_provider_change_is_a_warning_details_event() -> None:
    henley = docs.real(docs.HENLEY)
    moved = docs.variant(henley)
    moved["providerId"] = "1-777"
    moved["name"] = "Henley House Care Home"
    (event,) = events_between(henley, moved)

    assert event.type == "details_changed"
    assert event.severity == "warning"
    fields = {c["field"]: (c["old"], c["new"]) for c in event.details["changes"]}
    assert fields == {
        "name": ("Henley House", "Henley House Care Home"),
        "provider": ("1-102642938", "1-777"),
    }


def test_event_ids_are_stable_and_distinct() -> None:
    henley = docs.real(docs.HENLEY)
    after = docs.set_key_question(henley, "Safe", "Inadequate")
    first = events_between(henley, after)
    again = events_between(henley, after)
    other = events_between(henley, docs.set_key_question(henley, "Safe", "Requires improvement"))
    assert first[0].id == again[0].id
    assert first[0].id != other[0].id
    assert first[0].id.startswith("evt_")


def test_event_json_has_the_contract_fields() -> None:
    henley = docs.real(docs.HENLEY)
    (event,) = events_between(henley, docs.deregister(henley, "2026-11-28"))
    data = event.to_dict()
    assert set(data) == {"id", "type", "severity", "detected_at", "location", "summary", "details"}
    assert data["location"] == {
        "id": "1-10000302982",
        "name": "Henley House",
        "provider_id": "1-102642938",
        "url": "https://www.cqc.org.uk/location/1-10000302982",
    }
    assert data["detected_at"] == NOW


# -- website timeline ------------------------------------------------------------------

REVIEW = TimelineEntry(
    "2023-07-06",
    "2023-07-06",
    "data_review",
    "During a monthly review of our data",
    "We carried out a review.",
)
ROUTINE = TimelineEntry(
    "2022-02-25",
    "2022-02-25",
    "routine_inspection",
    "During a routine inspection",
    "Our rating improved.",
)


def with_timeline(snapshot: Snapshot, *entries: TimelineEntry) -> Snapshot:
    return replace(snapshot, timeline=entries)


def test_new_monthly_review_entry_is_one_data_review_event() -> None:
    base = snap(docs.real(docs.HENLEY))
    newer = TimelineEntry(
        "2026-11-03",
        "2026-11-03",
        "data_review",
        "During a monthly review of our data",
        "We have not found evidence.",
    )
    events = diff(
        with_timeline(base, REVIEW, ROUTINE),
        with_timeline(base, newer, REVIEW, ROUTINE),
        detected_at=NOW,
    )

    (event,) = events
    assert event.type == "data_review"
    assert event.details == {"date": "2026-11-03", "text": "We have not found evidence."}


def test_inspection_seen_by_both_sources_is_one_new_inspection() -> None:
    base = snap(docs.real(docs.HENLEY))
    report = Report("rep-9", "2026-11-20", "2026-10-14", "Location", "https://example/rep-9")
    site_entry = TimelineEntry(
        "2026-10-14",
        "2026-10-16",
        "routine_inspection",
        "During a routine inspection",
        "We rated it good.",
    )
    before = with_timeline(base, REVIEW)
    both_at_once = replace(with_timeline(base, site_entry, REVIEW), reports=(report, *base.reports))

    events = diff(before, both_at_once, detected_at=NOW)
    assert [e.type for e in events] == ["new_inspection"]
    assert events[0].details["report_link_id"] == "rep-9"

    # Website first, API later: one event from the website, none when the API catches up.
    site_first = with_timeline(base, site_entry, REVIEW)
    (from_site,) = diff(before, site_first, detected_at=NOW)
    assert from_site.type == "new_inspection"
    # The website's summary is its text: read at once, nothing found in "We rated it good".
    assert from_site.details["findings"]["source"] == "website"
    assert from_site.details["findings"]["breaches"] is None
    assert diff(site_first, both_at_once, detected_at=NOW) == []


def test_switching_the_website_source_on_is_silent() -> None:
    base = snap(docs.real(docs.HENLEY))
    assert diff(base, with_timeline(base, REVIEW, ROUTINE), detected_at=NOW) == []
