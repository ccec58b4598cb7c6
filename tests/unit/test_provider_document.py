"""A provider rated as a whole: its document read by the location's rules, and diffed by the
location's own diff (SPEC §2.1.2, §5.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from monitor.domain.decide import LocationState, Observation, Policy, decide
from monitor.domain.diff import diff
from monitor.domain.digest import by_location, tally
from monitor.domain.events import Event
from monitor.errors import MalformedResponseError
from monitor.sinks.text import subject
from monitor.sources.provider_document import parse_provider
from tests.support import documents as docs

NOW = "2026-11-29T07:00:00Z"
TRUST = "1-345678912"


def trust(overall: str = "Good", resources: str = "Good", **questions: str) -> dict[str, Any]:
    """A trust's document in the shape of CQC's OpenAPI example (key questions in CQC's
    order, use of resources under overall, a location report beside the provider's)."""
    rated = {"Safe": "Good", "Well-led": "Good", "Caring": "Good", "Responsive": "Good"}
    rated |= {"Effective": "Good"} | {k.replace("_", "-"): v for k, v in questions.items()}
    return {
        "providerId": TRUST,
        "name": "Sample Teaching Hospitals NHS Foundation Trust",
        "type": "NHS Healthcare Organisation",
        "registrationStatus": "Registered",
        "registrationDate": "2012-04-01",
        "locationIds": ["1-987654321"],
        "currentRatings": {
            "overall": {
                "rating": overall,
                "reportDate": "2022-01-01",
                "reportLinkId": "link-2022",
                "useOfResources": {
                    "useOfResourcesRating": resources,
                    "combinedQualityRating": overall,
                    "reportDate": "2022-01-01",
                    "reportLinkId": "link-2022",
                },
                "keyQuestionRatings": [
                    {"name": name, "rating": rating, "reportDate": "2022-01-01"}
                    for name, rating in rated.items()
                ],
            }
        },
        "reports": [
            {
                "linkId": "link-2022",
                "reportDate": "2022-01-01",
                "reportUri": "/reports/link-2022",
                "reportType": "Provider",
            },
            {
                "linkId": "link-location",
                "reportDate": "2021-01-01",
                "reportUri": "/reports/link-location",
                "reportType": "Location",
            },
        ],
    }


def test_a_trust_document_reads_its_own_ratings_and_provider_reports_only() -> None:
    snapshot = parse_provider(trust(overall="Requires Improvement"), TRUST)
    assert snapshot.kind == "provider"
    assert snapshot.url == f"https://www.cqc.org.uk/provider/{TRUST}"
    assert snapshot.rating("Overall").rating == "Requires improvement"  # type: ignore[union-attr]
    assert [r.question for r in snapshot.ratings] == [
        "Overall",
        "Safe",
        "Effective",
        "Caring",
        "Responsive",
        "Well-led",
        "Use of resources",
    ]
    assert [report.link_id for report in snapshot.reports] == ["link-2022"]
    assert snapshot.reports[0].url == f"https://www.cqc.org.uk/provider/{TRUST}/reports/link-2022"


def test_a_trust_downgrade_is_one_critical_provider_rating_changed() -> None:
    before = parse_provider(trust(), TRUST)
    after = parse_provider(
        trust(overall="Requires improvement", resources="Inadequate", Well_led="Inadequate"),
        TRUST,
    )
    (event,) = diff(before, after, detected_at=NOW)
    assert event.type == "provider_rating_changed" and event.severity == "critical"
    assert event.location is None and event.provider is not None
    assert (event.provider.id, event.provider.name) == (TRUST, before.name)
    assert [(c["question"], c["old"], c["new"]) for c in event.details["changes"]] == [
        ("Overall", "Good", "Requires improvement"),
        ("Well-led", "Good", "Inadequate"),
        ("Use of resources", "Good", "Inadequate"),
    ]
    payload = event.to_dict()
    assert payload["location"] is None and payload["provider"]["id"] == TRUST
    assert Event.from_dict(payload) == event


def test_reordered_key_questions_and_other_spellings_are_no_change() -> None:
    doc = trust()
    moved = copy.deepcopy(doc)
    overall = moved["currentRatings"]["overall"]
    overall["keyQuestionRatings"].reverse()
    overall["rating"] = "GOOD"
    assert diff(parse_provider(doc, TRUST), parse_provider(moved, TRUST), detected_at=NOW) == []


def test_an_inherited_provider_rating_is_no_change() -> None:
    doc = trust()
    inherited = copy.deepcopy(doc)
    for item in inherited["currentRatings"]["overall"]["keyQuestionRatings"]:
        if item["name"] == "Effective":
            item.update(rating="Inadequate", organisationId="1-101000001")
    assert diff(parse_provider(doc, TRUST), parse_provider(inherited, TRUST), detected_at=NOW) == []


def test_a_new_provider_report_is_provider_new_report() -> None:
    doc = trust()
    later = copy.deepcopy(doc)
    later["reports"].insert(
        0,
        {"linkId": "link-2026", "reportDate": "2026-11-28", "reportType": "Provider"},
    )
    (event,) = diff(parse_provider(doc, TRUST), parse_provider(later, TRUST), detected_at=NOW)
    assert event.type == "provider_new_report" and event.base_type == "new_inspection"
    assert event.details["report_link_id"] == "link-2026" and event.details["findings"] is None


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"providerId": TRUST, "name": {"en": "x"}}, id="name-an-object"),
        pytest.param({"providerId": "1-999"}, id="another-provider"),
        pytest.param({"providerId": TRUST, "currentRatings": "Good"}, id="ratings-as-text"),
        pytest.param(
            {"providerId": TRUST, "reports": [{"linkId": "x", "reportDate": "soon"}]},
            id="date-not-a-date",
        ),
        pytest.param([], id="not-an-object"),
    ],
)
def test_a_malformed_provider_document_is_an_error_for_that_provider(broken: Any) -> None:
    with pytest.raises(MalformedResponseError):
        parse_provider(broken, TRUST)


def test_first_sight_is_silent_but_for_what_is_dated_since_it_was_watched() -> None:
    from datetime import UTC, datetime

    snapshot = parse_provider(trust(), TRUST)
    seen = Observation(TRUST, snapshot=snapshot)
    watched_long_ago = LocationState(
        TRUST, kind="provider", watched_since=datetime(2020, 1, 1, tzinfo=UTC)
    )
    later = datetime(2026, 11, 29, tzinfo=UTC)
    decision = decide(watched_long_ago, seen, None, now=later, policy=Policy())
    assert decision.outcome == "baseline" and decision.state.kind == "provider"
    assert [event.type for event in decision.events] == [
        "provider_rating_changed",
        "provider_new_report",
    ]
    watched_now = LocationState(TRUST, kind="provider", watched_since=later)
    assert decide(watched_now, seen, None, now=later, policy=Policy()).events == []


def test_a_digest_groups_a_trust_and_a_location_apart_and_subjects_name_the_trust() -> None:
    before = parse_provider(trust(), TRUST)
    after = parse_provider(trust(overall="Requires improvement"), TRUST)
    (trust_event,) = diff(before, after, detected_at=NOW)
    from monitor.sources.api_document import parse_location

    henley = docs.real(docs.HENLEY)
    (location_event,) = diff(
        parse_location(henley),
        parse_location(docs.set_key_question(henley, "Safe", "Requires improvement")),
        detected_at=NOW,
    )
    groups = by_location([location_event, trust_event])
    assert [group.location.id for group in groups] == [TRUST, docs.HENLEY]
    assert tally([location_event, trust_event]).locations == 2
    assert subject([trust_event]) == (
        "[CQC] CRITICAL Sample Teaching Hospitals NHS Foundation Trust: "
        "Overall Good → Requires improvement"
    )


def test_a_trust_rated_for_the_first_time_is_no_change_of_shape() -> None:
    """A deployment that learned its providers unrated is not warned when a trust gets its
    ratings, use of resources and Provider reports: CQC documents all of them."""
    from monitor.domain.shape import ShapeReader
    from monitor.domain.shape_watch import Known, ShapeTally

    reader = ShapeReader()
    unrated = {
        key: value
        for key, value in trust().items()
        if key not in ("currentRatings", "reports", "type")
    }
    learned = reader.read(unrated)
    known = Known({"provider": set(learned.paths)}, {})
    tally = ShapeTally(known, learning=False)
    tally.add("provider", TRUST, reader.read(trust(overall="Requires improvement")))
    assert tally.pending == {}
