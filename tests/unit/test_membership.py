"""Joining and leaving saved searches: the pure decision and the wording of its events."""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.events import LocationRef
from monitor.domain.membership import (
    Sighting,
    Standing,
    membership_changes,
    registration_reason,
)
from monitor.domain.search import LocationFacts, Search
from monitor.domain.snapshot import Rating

KENT = Search.of("kent-care-homes", {"localAuthority": ["Kent", "Medway"], "careHome": ["Y"]})
DETECTED = "2026-11-12T07:00:00Z"
ROSE = LocationRef("1-555", "Rose Court", "1-999", "https://www.cqc.org.uk/location/1-555")
IN_KENT = LocationFacts(local_authority=("Kent",), region=("South East",), care_home=("Y",))
OUTSTANDING = (
    Rating("Overall", "Outstanding", date="2024-03-01"),
    Rating("Safe", "Good", date="2024-03-01"),
)


def sighting(**changes: object) -> Sighting:
    base = Sighting(ROSE, IN_KENT, content_hash="h1", registration_date="2026-11-10")
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_new_registration_in_the_area_joins_with_a_location_added() -> None:
    (change,) = membership_changes(sighting(), [Standing(KENT)], detected_at=DETECTED)
    assert (change.search, change.joined) == ("kent-care-homes", True)
    event = change.event
    assert event is not None and (event.type, event.severity) == ("location_added", "info")
    assert (
        event.summary
        == "New care home registered in Kent: Rose Court, not yet rated (kent-care-homes)."
    )
    assert event.details == {
        "search": "kent-care-homes",
        "reason": "new_registration",
        "registration_date": "2026-11-10",
        "matched": {"careHome": ["Y"], "localAuthority": ["Kent"]},
        "ratings": [],
    }


def test_an_outstanding_home_moving_into_medway_now_matches() -> None:
    moved = sighting(
        facts=replace(IN_KENT, local_authority=("Medway",)),
        registration_date="2011-02-15",
        ratings=OUTSTANDING,
    )
    (change,) = membership_changes(moved, [Standing(KENT)], detected_at=DETECTED)
    assert change.event is not None
    assert change.event.summary == (
        "Rose Court now matches kent-care-homes: care home in Medway, rated Outstanding."
    )
    assert change.event.details["reason"] == "now_matches"
    assert change.event.details["ratings"] == [
        {
            "question": "Overall",
            "rating": "Outstanding",
            "date": "2024-03-01",
            "framework": "legacy",
        },
        {"question": "Safe", "rating": "Good", "date": "2024-03-01", "framework": "legacy"},
    ]


def test_new_registration_means_within_thirty_days_of_the_registration_date() -> None:
    assert registration_reason("2026-10-13", DETECTED) == "new_registration"  # 30 days
    assert registration_reason("2026-10-12", DETECTED) == "now_matches"  # 31 days
    assert registration_reason(None, DETECTED) == "now_matches"


def test_a_member_that_moves_out_leaves_saying_why() -> None:
    member = Standing(KENT, member_since="2026-11-01T06:00:00Z")
    moved = sighting(facts=replace(IN_KENT, local_authority=("East Sussex",)))
    (change,) = membership_changes(moved, [member], detected_at=DETECTED)
    assert change.joined is False and change.event is not None
    assert change.event.type == "location_left"
    assert change.event.summary == (
        "Rose Court no longer matches kent-care-homes: local authority now East Sussex."
    )
    assert change.event.details["mismatches"] == [
        {
            "filter": "localAuthority",
            "label": "local authority",
            "wanted": ["Kent", "Medway"],
            "now": ["East Sussex"],
        }
    ]


def test_a_member_that_still_matches_changes_nothing() -> None:
    member = Standing(KENT, member_since="2026-11-01T06:00:00Z")
    assert membership_changes(sighting(), [member], detected_at=DETECTED) == []
    assert (
        membership_changes(
            sighting(facts=replace(IN_KENT, care_home=("N",))),
            [Standing(KENT)],
            detected_at=DETECTED,
        )
        == []
    )


def test_a_deregistered_member_leaves_silently_and_never_joins() -> None:
    member = Standing(KENT, member_since="2026-11-01T06:00:00Z")
    gone = sighting(deregistered=True)
    (change,) = membership_changes(gone, [member], detected_at=DETECTED)
    assert (change.joined, change.event) == (False, None)  # registration_changed says it
    assert membership_changes(gone, [Standing(KENT)], detected_at=DETECTED) == []


def test_a_searchs_first_resolution_is_a_silent_baseline_but_for_registrations_since() -> None:
    baselining = Standing(KENT, baseline_day="2026-11-12")
    older = sighting(registration_date="2026-11-11")
    (quiet,) = membership_changes(older, [baselining], detected_at=DETECTED)
    assert (quiet.joined, quiet.event) == (True, None)
    same_day = sighting(registration_date="2026-11-12")
    (loud,) = membership_changes(same_day, [baselining], detected_at=DETECTED)
    assert loud.event is not None and loud.event.details["reason"] == "new_registration"
    member = replace(baselining, member_since="2026-10-01T06:00:00Z")
    moved = sighting(facts=replace(IN_KENT, local_authority=("Surrey",)))
    (left,) = membership_changes(moved, [member], detected_at=DETECTED)
    assert (left.joined, left.event) == (False, None)


def test_event_ids_are_stable_and_a_return_after_leaving_is_a_new_event() -> None:
    first = membership_changes(sighting(), [Standing(KENT)], detected_at=DETECTED)[0].event
    again = membership_changes(sighting(), [Standing(KENT)], detected_at="2026-11-13T07:00:00Z")
    assert first is not None and again[0].event is not None
    assert again[0].event.id == first.id  # the same join detected twice (a re-run)
    back = Standing(KENT, left_at="2026-11-20T07:00:00Z")
    returned = membership_changes(sighting(), [back], detected_at=DETECTED)[0].event
    assert returned is not None and returned.id != first.id


def test_each_search_is_judged_on_its_own() -> None:
    dentists = Search.of("kent-dentists", {"localAuthority": ["Kent"], "careHome": ["N"]})
    changes = membership_changes(
        sighting(), [Standing(KENT), Standing(dentists)], detected_at=DETECTED
    )
    assert [(c.search, c.joined) for c in changes] == [("kent-care-homes", True)]
