"""Real CQC documents → snapshots (SPEC §5.1)."""

from __future__ import annotations

import pytest

from monitor.errors import MalformedResponseError
from monitor.sources.api_document import parse_location, redact_personal_names
from tests.support import documents as docs


def test_henley_house_parses_to_its_ratings_reports_and_registration() -> None:
    snapshot = parse_location(docs.real(docs.HENLEY))

    assert snapshot.name == "Henley House"
    assert snapshot.provider_id == "1-102642938"
    assert snapshot.address == "333 Henley Road, Ipswich"
    assert snapshot.postcode == "IP1 6TB"
    assert snapshot.care_home is True
    assert snapshot.beds == 66
    assert snapshot.service_types == ("Residential homes",)
    assert snapshot.registration_status == "Registered"
    assert snapshot.registration_date == "2020-12-11"
    assert [(r.question, r.rating) for r in snapshot.ratings] == [
        ("Overall", "Good"),
        ("Safe", "Good"),
        ("Effective", "Good"),
        ("Caring", "Good"),
        ("Responsive", "Good"),
        ("Well-led", "Good"),
    ]
    overall = snapshot.rating("Overall")
    assert overall is not None
    assert overall.date == "2022-04-20"
    assert overall.report_link_id == "8d751af1-d418-4d70-956d-eac92d2c9ff6"
    (report,) = snapshot.reports
    # The reportUri's query suffix is not part of the report's identity.
    assert report.link_id == "8d751af1-d418-4d70-956d-eac92d2c9ff6"
    assert report.first_visit_date == "2022-03-23"
    assert report.report_type == "Location"
    assert report.url == (
        "https://www.cqc.org.uk/location/1-10000302982/reports/8d751af1-d418-4d70-956d-eac92d2c9ff6"
    )


def test_lucerne_house_keeps_historic_ratings_and_pre_2014_reports() -> None:
    snapshot = parse_location(docs.real(docs.LUCERNE))

    assert snapshot.rating("Overall").rating == "Outstanding"  # type: ignore[union-attr]
    assert snapshot.rating("Safe").rating == "Good"  # type: ignore[union-attr]
    past = {(p.report_date, p.question): p.rating for p in snapshot.past_ratings}
    assert past[("2017-02-08", "Overall")] == "Outstanding"
    assert past[("2015-01-23", "Responsive")] == "Requires improvement"
    assert len(snapshot.reports) == 9
    untyped = [r for r in snapshot.reports if r.report_type is None]
    assert len(untyped) == 6  # reports from before 2014 carry no reportType
    assert snapshot.reports[0].report_date == "2019-10-31"  # newest first


def test_deregistered_location_has_non_ratings_without_dates() -> None:
    snapshot = parse_location(docs.real(docs.ALLIED))

    assert snapshot.registration_status == "Deregistered"
    assert snapshot.deregistration_date == "2016-11-28"
    assert {r.rating for r in snapshot.ratings} == {"No published rating"}
    assert all(r.date is None for r in snapshot.ratings)
    assert snapshot.care_home is False


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Requires Improvement", "Requires improvement"),
        ("requires improvement", "Requires improvement"),
        ("INADEQUATE", "Inadequate"),
        ("No Published Rating", "No published rating"),
        ("Insufficient evidence to rate", "Insufficient evidence to rate"),
    ],
    ids=lambda value: value,
)
def test_rating_spellings_are_canonicalised(spelling: str, canonical: str) -> None:
    doc = docs.set_key_question(docs.real(docs.HENLEY), "Safe", spelling)
    assert parse_location(doc).rating("Safe").rating == canonical  # type: ignore[union-attr]


def test_older_assessment_rating_does_not_replace_a_newer_legacy_one() -> None:
    doc = docs.with_assessment(
        docs.real(docs.HENLEY), published="2021-01-01", overall="Inadequate", key_questions={}
    )
    assert parse_location(doc).rating("Overall").rating == "Good"  # type: ignore[union-attr]


def test_inherited_rating_records_its_predecessor() -> None:
    doc = docs.inherit_ratings(docs.real(docs.HENLEY), "1-999", "Good")
    overall = parse_location(doc).rating("Overall")
    assert overall is not None and overall.inherited_from == "1-999"


def test_service_level_ratings_are_kept_per_service() -> None:
    doc = docs.variant(docs.real(docs.HENLEY))
    doc["currentRatings"]["serviceRatings"] = [
        {
            "name": "Maternity",
            "rating": "Requires Improvement",
            "reportDate": "2022-04-20",
            "keyQuestionRatings": [{"name": "Safe", "rating": "Inadequate"}],
        }
    ]
    snapshot = parse_location(doc)
    assert snapshot.rating("Overall", "Maternity").rating == "Requires improvement"  # type: ignore[union-attr]
    assert snapshot.rating("Safe", "Maternity").rating == "Inadequate"  # type: ignore[union-attr]


def test_key_question_order_and_document_key_order_do_not_change_the_hash() -> None:
    original = parse_location(docs.real(docs.HENLEY))
    reordered = parse_location(docs.reorder_key_questions(docs.real(docs.HENLEY)))
    assert reordered.content_hash() == original.content_hash()


def test_hash_is_deterministic_and_sensitive_to_ratings() -> None:
    first = parse_location(docs.real(docs.LUCERNE)).content_hash()
    again = parse_location(docs.real(docs.LUCERNE)).content_hash()
    changed = parse_location(
        docs.set_key_question(docs.real(docs.LUCERNE), "Safe", "Inadequate")
    ).content_hash()
    assert first == again
    assert changed != first


def test_personal_names_are_never_in_the_snapshot_or_the_raw_copy() -> None:
    doc = docs.real(docs.HENLEY)
    snapshot = parse_location(doc)
    assert "Redacted" not in str(snapshot.to_dict())
    redacted = redact_personal_names(doc)
    assert "personGivenName" not in str(redacted)
    assert redacted["regulatedActivities"][0]["name"].startswith("Accommodation")


@pytest.mark.parametrize(
    "document",
    [
        [],
        "not a document",
        {"name": "No id"},
        {"locationId": "1-1", "numberOfBeds": "many"},
        {
            "locationId": "1-1",
            "currentRatings": {"overall": {"rating": None, "keyQuestionRatings": 5}},
        },
    ],
    ids=["list", "string", "missing-id", "bad-beds", "bad-ratings"],
)
def test_malformed_documents_raise_a_clear_error(document: object) -> None:
    with pytest.raises(MalformedResponseError):
        parse_location(document)


def test_document_for_another_location_is_refused() -> None:
    with pytest.raises(MalformedResponseError, match="asked for 1-2"):
        parse_location(docs.real(docs.HENLEY), expected_id="1-2")


@pytest.mark.parametrize("day", ["2099-13-45", "2022-02-30", "2022-00-10"])
def test_a_date_that_names_no_day_is_an_error_like_any_other_non_date(day: str) -> None:
    henley = docs.real(docs.HENLEY)
    henley["currentRatings"]["overall"]["reportDate"] = day

    with pytest.raises(MalformedResponseError, match=f"'{day}' is not a date"):
        parse_location(henley)


def test_a_date_with_a_time_of_day_is_read_as_its_day() -> None:
    henley = docs.real(docs.HENLEY)
    henley["currentRatings"]["overall"]["reportDate"] = "2022-04-20T09:30:00Z"

    overall = parse_location(henley).rating("Overall")
    assert overall is not None and overall.date == "2022-04-20"
