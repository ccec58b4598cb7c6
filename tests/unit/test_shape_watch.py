"""What the shape watch decides, with literal documents: silent learning, a new path or value
noted once with its examples, the missing-path rule, and the event that reports them."""

from __future__ import annotations

from typing import Any

from monitor.domain.events import LocationRef
from monitor.domain.shape import ShapeReader
from monitor.domain.shape_watch import (
    MIN_DOCUMENTS,
    PATH_ADDED,
    PATH_MISSING,
    VALUE_ADDED,
    Counts,
    Known,
    Novelty,
    ShapeTally,
    page_example,
)
from monitor.domain.source_events import source_changed
from tests.support import documents as docs

READER = ShapeReader()
HENLEY_REF = LocationRef(
    docs.HENLEY, "Henley House", "1-102642938", "https://www.cqc.org.uk/location/1-10000302982"
)


def learned_from(*documents: dict[str, Any]) -> Known:
    """What a deployment knows after reading these documents."""
    paths: set[str] = set()
    values: dict[str, list[str]] = {}
    for doc in documents:
        reading = READER.read(doc)
        paths |= reading.paths
        for field, value in reading.values:
            values.setdefault(field, []).append(value)
    return Known({"location": paths}, values)


def with_key(doc: dict[str, Any], value: Any = "B") -> dict[str, Any]:
    doc = docs.variant(doc)
    doc["currentRatings"]["overall"]["scoreBand"] = value
    return doc


def test_learning_notes_nothing_new() -> None:
    tally = ShapeTally(Known({}, {}), learning=True)
    tally.add("location", docs.HENLEY, READER.read(with_key(docs.real(docs.HENLEY))))
    exceptional = docs.set_key_question(docs.real(docs.LUCERNE), "Overall", "Exceptional")
    tally.add("location", docs.LUCERNE, READER.read(exceptional))

    assert tally.pending == {}
    assert tally.missing({"location": Counts(10, {"name": 10})}) == []


def test_documented_paths_and_known_values_are_never_new() -> None:
    """A deployment that learned from Henley House alone is not warned when a location is
    deregistered or first assessed: CQC documents those fields and values."""
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    deregistered = docs.deregister(docs.real(docs.LUCERNE), "2026-01-01")
    assessed = docs.with_assessment(
        docs.real(docs.ALLIED), published="2026-01-01", overall="Good", key_questions={}
    )
    for doc in (deregistered, assessed):
        tally.add("location", doc["locationId"], READER.read(doc))

    assert tally.pending == {}


def test_a_new_path_is_noted_once_with_up_to_five_examples() -> None:
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    for number in range(7):
        doc = with_key(docs.real(docs.HENLEY))
        doc["locationId"] = f"1-{number}"
        tally.add("location", doc["locationId"], READER.read(doc))

    ((novelty, examples),) = tally.pending.values()
    assert novelty == Novelty(PATH_ADDED, "location", "currentRatings.overall.scoreBand")
    assert examples == ["1-0", "1-1", "1-2", "1-3", "1-4"]

    taken = tally.take()
    tally.add("location", "1-8", READER.read(with_key(docs.real(docs.HENLEY))))
    assert [n for n, _ in taken] == [novelty]
    assert tally.pending == {}  # known from the moment it was handed over


def test_a_rating_label_off_the_scale_is_noted_where_it_was_seen() -> None:
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    for location_id in (docs.LUCERNE, docs.ALLIED):
        doc = docs.set_key_question(docs.real(location_id), "Safe", "Exceptional")
        tally.add("location", location_id, READER.read(doc))
    # Spelling is not news: the reader reads "requires  IMPROVEMENT" as the known rating.
    odd = docs.set_key_question(docs.real(docs.HENLEY), "Caring", "requires  IMPROVEMENT")
    tally.add("location", docs.HENLEY, READER.read(odd))

    ((novelty, examples),) = tally.pending.values()
    assert (novelty.change, novelty.field, novelty.value) == (VALUE_ADDED, "rating", "Exceptional")
    assert novelty.path == "currentRatings.overall.keyQuestionRatings[].rating"
    assert examples == [docs.LUCERNE, docs.ALLIED]
    assert novelty.key == "value_added:rating:exceptional"


def test_a_read_path_missing_from_most_documents_of_a_cycle_is_noted() -> None:
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    before = {"location": Counts(100, {"registrationStatus": 100, "name": 90})}
    for location_id in (docs.HENLEY, docs.LUCERNE, docs.ALLIED):
        doc = docs.real(location_id)
        if location_id != docs.ALLIED:
            doc.pop("registrationStatus")
        doc.pop("name")
        tally.add("location", location_id, READER.read(doc))

    ((novelty, examples),) = tally.missing(before)

    # "name" was in 90 % of documents before: not near-universal, so not watched.
    assert (novelty.change, novelty.path) == (PATH_MISSING, "registrationStatus")
    assert (novelty.before, round(novelty.now or 0, 2)) == (1.0, 0.33)
    assert examples == [docs.HENLEY, docs.LUCERNE]


def test_the_missing_path_rule_needs_enough_documents_on_both_sides() -> None:
    doc = docs.real(docs.HENLEY)
    doc.pop("registrationStatus")
    few = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    for number in range(MIN_DOCUMENTS - 1):
        few.add("location", f"1-{number}", READER.read(doc))
    assert few.missing({"location": Counts(100, {"registrationStatus": 100})}) == []

    enough = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    for number in range(MIN_DOCUMENTS):
        enough.add("location", f"1-{number}", READER.read(doc))
    assert enough.missing({"location": Counts(2, {"registrationStatus": 2})}) == []
    assert len(enough.missing({"location": Counts(3, {"registrationStatus": 3})})) == 1


def test_a_path_that_is_not_read_is_never_missing() -> None:
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    for location_id in (docs.HENLEY, docs.LUCERNE, docs.ALLIED):
        doc = docs.real(location_id)
        doc.pop("brandName")
        tally.add("location", location_id, READER.read(doc))
    assert tally.missing({"location": Counts(100, {"brandName": 100})}) == []


def test_novelties_not_recorded_are_held_for_the_next_write() -> None:
    tally = ShapeTally(learned_from(docs.real(docs.HENLEY)), learning=False)
    tally.add("location", "1-1", READER.read(with_key(docs.real(docs.HENLEY))))
    taken = tally.take()
    tally.hold(taken)
    assert [n for n, _ in tally.take()] == [n for n, _ in taken]


def test_counts_are_handed_over_once() -> None:
    tally = ShapeTally(Known({}, {}), learning=True)
    for location_id in (docs.HENLEY, docs.LUCERNE):
        tally.add("location", location_id, READER.read(docs.real(location_id)))

    fresh = tally.fresh()

    assert fresh.kinds["location"].documents == 2
    assert fresh.kinds["location"].paths["locationId"] == 2
    assert fresh.kinds["location"].paths["historicRatings"] == 1
    assert fresh.values[("rating", "Outstanding")] == 1
    assert fresh.paths_of_values[("registration_status", "Registered")] == "registrationStatus"
    assert not tally.fresh()
    assert tally.unwritten == 0


def test_the_event_lists_what_changed_and_is_filed_under_the_first_example() -> None:
    novelties = [
        Novelty(PATH_ADDED, "location", "currentRatings.overall.scoreBand"),
        Novelty(VALUE_ADDED, "location", "currentRatings.overall.rating", "rating", "Exceptional"),
        Novelty(PATH_MISSING, "location", "registrationStatus", before=0.99, now=0.0),
    ]

    event = source_changed(
        "location", novelties, [docs.HENLEY, docs.LUCERNE], HENLEY_REF, "2026-12-01T07:00:00Z"
    )

    assert (event.type, event.severity, event.location) == ("source_changed", "warning", HENLEY_REF)
    assert event.details == {
        "kind": "location",
        "paths_added": ["currentRatings.overall.scoreBand"],
        "paths_missing": ["registrationStatus"],
        "values_added": [
            {"path": "currentRatings.overall.rating", "field": "rating", "value": "Exceptional"}
        ],
        "examples": [docs.HENLEY, docs.LUCERNE],
        "first_seen_at": "2026-12-01T07:00:00Z",
    }
    assert event.summary == (
        "CQC changed its location documents: new field currentRatings.overall.scoreBand; "
        "field no longer present registrationStatus (in 0%, was 99%); "
        "new value rating 'Exceptional'."
    )
    again = source_changed("location", novelties[::-1], [docs.HENLEY], HENLEY_REF, "later")
    assert again.id == event.id  # the same changes: the same id


def test_pages_are_known_by_the_first_location_they_list() -> None:
    listing = {"total": 2, "locations": [{"locationId": "1-9"}, {"locationId": "1-8"}]}
    assert page_example("list_page", listing) == "1-9"
    assert page_example("change_page", {"changes": ["1-7"]}) == "1-7"
    assert page_example("provider", {"providerId": "1-5", "locationIds": ["1-6"]}) == "1-6"
    assert page_example("provider", {"providerId": "1-5"}) == "1-5"
    assert page_example("change_page", {"changes": []}) == "change_page"


def test_a_flood_of_new_keys_is_one_event_listing_the_first_fifty() -> None:
    novelties = [Novelty(PATH_ADDED, "location", f"extra{number:03}") for number in range(60)]

    event = source_changed("location", novelties, [docs.HENLEY], HENLEY_REF, "now")

    assert len(event.details["paths_added"]) == 50 and event.details["not_listed"] == 10
    assert event.summary == (
        "CQC changed its location documents: new fields extra000, extra001, extra002 and 57 more."
    )
