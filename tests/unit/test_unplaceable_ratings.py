"""A rating label the monitor cannot place on the scale is never read as a decline or an
improvement (SPEC §2.1.3): moving to it is recorded, not alerted; moving from it is judged
against the last rating the monitor could place. Real documents, composed variants."""

from __future__ import annotations

from itertools import pairwise

from monitor.domain.diff import diff
from monitor.domain.events import Event
from monitor.domain.ratings import direction
from monitor.domain.vocabulary import placeable
from monitor.sources.api_document import parse_location
from tests.support import documents as docs

NOW = "2026-11-29T07:00:00Z"


def events(*versions: docs.Doc) -> list[list[Event]]:
    """The events of each step from one version of a document to the next."""
    snapshots = [parse_location(doc) for doc in versions]
    return [diff(a, b, detected_at=NOW) for a, b in pairwise(snapshots)]


def assessed(overall: str, safe: str, published: str, plan: str, doc: docs.Doc) -> docs.Doc:
    return docs.with_assessment(
        doc,
        published=published,
        overall=overall,
        key_questions={"Safe": safe},
        plan_id=plan,
        social_care=False,
    )


def test_a_label_off_the_scale_moves_no_rating() -> None:
    henley = docs.real(docs.HENLEY)
    exceptional = assessed("Exceptional", "Good", "2026-10-01", "AP-1", henley)

    (moved,) = events(henley, exceptional)

    assert moved == []
    assert parse_location(exceptional).rating("Overall").rating == "Exceptional"  # type: ignore[union-attr]


def test_a_decline_after_the_unknown_label_is_judged_against_the_last_known_rating() -> None:
    henley = docs.real(docs.HENLEY)
    exceptional = assessed("Exceptional", "Good", "2026-10-01", "AP-1", henley)
    inadequate = assessed("Inadequate", "Good", "2026-11-20", "AP-2", exceptional)

    (to_label, from_label) = events(henley, exceptional, inadequate)

    assert to_label == []
    (event,) = from_label
    (change,) = event.details["changes"]
    assert (change["question"], change["old"], change["new"]) == ("Overall", "Good", "Inadequate")
    assert (change["direction"], event.severity) == ("declined", "critical")


def test_back_to_the_rating_it_had_is_no_change_at_all() -> None:
    henley = docs.real(docs.HENLEY)
    exceptional = assessed("Exceptional", "Good", "2026-10-01", "AP-1", henley)
    good_again = assessed("Good", "Good", "2026-11-20", "AP-2", exceptional)

    assert events(henley, exceptional, good_again) == [[], []]


def test_a_known_non_rating_is_still_a_change_but_never_a_decline() -> None:
    henley = docs.real(docs.HENLEY)
    (step,) = events(henley, docs.set_key_question(henley, "Overall", "Inspected but not rated"))

    (change,) = step[0].details["changes"]
    assert change["direction"] == "changed"
    assert placeable("Inspected but not rated") and not placeable("Exceptional")
    assert direction("Good", "Inspected but not rated") == "changed"


def test_a_registration_status_that_vanishes_is_not_read_as_a_change() -> None:
    henley = docs.real(docs.HENLEY)
    without = docs.variant(henley)
    without.pop("registrationStatus")

    assert events(henley, without) == [[]]
