"""Reading a document's shape: its key paths and enumerated values, the catalogue of what CQC
documents, and the reader's paths kept in step with what the shape watch calls "read"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.domain import vocabulary as v
from monitor.domain.ratings import NON_RATINGS, SCALE, canonical_rating
from monitor.domain.shape import MAX_DEPTH, MAX_KEYS, MAX_PATH, MAX_PATHS, MAX_VALUE, ShapeReader
from monitor.domain.shape_catalogue import DOCUMENTED, LOCATION, READ
from monitor.domain.vocabulary import placeable
from monitor.sim import Population, SimulatedCqc
from monitor.sources.api_document import parse_location
from tests.support import documents as docs

OPENAPI = Path(__file__).parents[1] / "fixtures" / "cqc" / "openapi-syndication.yaml"


def test_paths_collapse_arrays_and_values_say_where_they_were_seen() -> None:
    reading = ShapeReader().read(docs.real(docs.HENLEY))

    assert "currentRatings.overall.keyQuestionRatings[].rating" in reading.paths
    assert "reports[].reportType" in reading.paths
    assert "regulatedActivities[].contacts[].personRoles" in reading.paths
    assert not any("[0]" in path or path.endswith("[]") for path in reading.paths)
    assert reading.values[(v.RATING, "Good")] in {
        "currentRatings.overall.rating",
        "currentRatings.overall.keyQuestionRatings[].rating",
    }
    assert reading.values[(v.KEY_QUESTION, "Well-led")].endswith("keyQuestionRatings[].name")
    assert reading.values[(v.REGISTRATION_STATUS, "Registered")] == "registrationStatus"
    assert reading.values[(v.ORGANISATION_TYPE, "Social Care Org")] == "type"
    assert reading.values[(v.REPORT_TYPE, "Location")] == "reports[].reportType"


def test_documents_of_the_same_shape_share_one_path_set() -> None:
    reader = ShapeReader()
    first = reader.read(docs.real(docs.HENLEY))
    again = reader.read(docs.set_key_question(docs.real(docs.HENLEY), "Safe", "Inadequate"))

    assert again.paths is first.paths
    assert (v.RATING, "Inadequate") in again.values
    assert (v.RATING, "Inadequate") not in first.values


def test_assessment_framework_values_are_enumerated() -> None:
    doc = docs.with_assessment(
        docs.real(docs.HENLEY),
        published="2026-10-01",
        overall="Requires Improvement",
        key_questions={"Safe": "Inadequate"},
    )
    doc["assessment"].append(docs.variant(doc["assessment"][0]))
    doc["assessment"][1]["ratings"]["asgRatings"][0]["status"] = "Historic"

    values = ShapeReader().read(doc).values

    item = "assessment[].ratings.asgRatings[]"
    assert values[(v.ASSESSMENT_STATUS, "Current")] == f"{item}.status"
    assert (v.ASSESSMENT_STATUS, "Historic") in values
    assert values[(v.PLAN_STATUS, "Assessed")] == f"{item}.assessmentPlanStatus"
    assert values[(v.KEY_QUESTION_STATUS, "Assessed")] == f"{item}.keyQuestionRatings[].status"
    assert values[(v.SERVICE_GROUP, "Care Homes")] in {
        f"{item}.name",
        "assessment[].assessmentServiceGroup[].name",
    }
    assert (v.RATING, "Requires Improvement") in values


def test_a_label_of_the_wrong_type_is_kept_as_its_json() -> None:
    doc = docs.set_key_question(docs.real(docs.HENLEY), "Safe", 3)  # type: ignore[arg-type]
    doc["currentRatings"]["overall"]["rating"] = "x" * 1000

    values = ShapeReader().read(doc).values

    assert (v.RATING, "3") in values
    long = [value for field, value in values if field == v.RATING and value.startswith("x")]
    assert long and len(long[0]) == MAX_VALUE and long[0].endswith("…")


def test_hostile_documents_are_bounded() -> None:
    deep: Any = []
    for _ in range(500):
        deep = [deep]
    wide = {f"key{i}": i for i in range(10_000)}
    doc = {"locationId": "1-1", "deep": deep, "wide": wide, "long": {"a" * (MAX_PATH + 1): 1}}

    paths = ShapeReader().read(doc).paths

    assert "deep" in paths and "locationId" in paths
    assert len(paths) <= MAX_PATHS + MAX_KEYS  # the walk stops past the cap
    assert all(len(path) <= MAX_PATH for path in paths)
    nested = {"a": {}}
    cursor = nested["a"]
    for level in range(MAX_DEPTH + 10):
        cursor[f"k{level}"] = {}
        cursor = cursor[f"k{level}"]
    assert max(path.count(".") for path in ShapeReader().read(nested).paths) == MAX_DEPTH


@pytest.mark.parametrize("location_id", [docs.HENLEY, docs.LUCERNE, docs.ALLIED], ids=str)
def test_the_real_documents_hold_only_documented_paths(location_id: str) -> None:
    reading = ShapeReader().read(docs.real(location_id))
    assert reading.paths <= DOCUMENTED[LOCATION]


def test_the_simulators_documents_hold_only_documented_paths_and_known_values() -> None:
    sim = SimulatedCqc(Population.generate(600))
    first = sim.population.ids()[0]
    sim.set_rating(first, "Overall", "Requires improvement", report_date="2026-01-05")
    sim.assess(first, overall="Good", key_questions={"Safe": "Good"}, published="2026-02-01")
    sim.deregister(first, "2026-03-01")
    sim.add_report(first, report_date="2026-03-02", first_visit_date="2026-02-20")
    sim.register_care_home(
        name="New Home", local_authority="Kent", region="South East", registered="2026-03-03"
    )
    reader = ShapeReader()
    for location_id in sim.population.ids():
        reading = reader.read(sim.document(location_id))
        assert reading.paths <= DOCUMENTED[LOCATION], location_id
        unknown = [(f, x) for f, x in reading.values if not v.is_known(f, x)]
        assert unknown == [], location_id


def test_the_catalogue_holds_every_path_of_cqcs_own_examples() -> None:
    api = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))["paths"]

    def example(path: str) -> Any:
        return api[path]["get"]["responses"]["200"]["content"]["application/json"]["example"]

    reader = ShapeReader()
    assert reader.read(example("/locations/{id}")).paths <= DOCUMENTED["location"]
    assert reader.read(example("/providers/{id}")).paths <= DOCUMENTED["provider"]
    assert reader.read(example("/locations")).paths <= DOCUMENTED["list_page"]


class _Traced(dict[str, Any]):
    """A document that notes every key the parser asks it for, as a shape path."""

    def __init__(self, data: dict[str, Any], prefix: str, seen: set[str]) -> None:
        super().__init__(data)
        self.prefix, self.seen = prefix, seen

    def get(self, key: str, default: Any = None) -> Any:
        path = f"{self.prefix}.{key}" if self.prefix else key
        self.seen.add(path)
        return _traced(super().get(key, default), path, self.seen)


def _traced(value: Any, path: str, seen: set[str]) -> Any:
    if isinstance(value, dict):
        return _Traced(value, path, seen)
    if isinstance(value, list):
        return [_traced(item, path + "[]", seen) for item in value]
    return value


def test_the_paths_the_watch_calls_read_are_the_ones_the_reader_reads() -> None:
    """One vocabulary: a field the parser starts reading (or stops reading) must be added to
    (or taken from) ``shape_catalogue.READ``, or this fails."""
    rich = docs.real(docs.LUCERNE)
    rich["deregistrationDate"] = "2026-01-01"
    rich["currentRatings"]["serviceRatings"] = [
        {
            "name": "care",
            "rating": "Good",
            "reportDate": "2021-01-01",
            "reportLinkId": "x",
            "organisationId": "1-2",
            "keyQuestionRatings": [
                {
                    "name": "Safe",
                    "rating": "Good",
                    "reportDate": "2021-01-01",
                    "reportLinkId": "x",
                    "organisationId": "1-2",
                }
            ],
        }
    ]
    rich["currentRatings"]["overall"]["organisationId"] = "1-3"
    rich["historicRatings"][0]["serviceRatings"] = [
        {
            "name": "care",
            "rating": "Good",
            "keyQuestionRatings": [{"name": "Safe", "rating": "Good"}],
        }
    ]
    rich = docs.with_assessment(
        rich,
        published="2026-10-01",
        overall="Good",
        key_questions={"Safe": "Good"},
        social_care=False,
        group="Care",
    )
    item = rich["assessment"][0]["ratings"]["asgRatings"][0]
    item.update(organisationId="1-4", assessmentPlanPublishedDateTime="2026-10-01T09:00:00Z")
    rich["assessment"][0]["ratings"]["overall"][0].update(organisationId="1-4")
    # The fallbacks: a list item's name, a report known by its URI alone.
    sparse = {"locationId": "1-1", "locationName": "X", "reports": [{"reportUri": "/reports/a"}]}
    seen: set[str] = set()

    for doc in (rich, sparse):
        parse_location(_Traced(json.loads(json.dumps(doc)), "", seen))

    assert seen == READ[LOCATION]


@pytest.mark.parametrize(
    "label",
    [
        *SCALE,
        *NON_RATINGS,
        "Requires Improvement",
        "requires  IMPROVEMENT",
        " Good ",
        "Exceptional",
        "Excellent",
        "Evidence requirements partially scored",
        "No Approved Rating",
    ],
)
def test_the_reader_and_the_watch_place_a_label_alike(label: str) -> None:
    """What the reader can place on the scale (or knows as a non-rating) is exactly what the
    shape watch does not report: one vocabulary, read the same way by both."""
    assert placeable(canonical_rating(label)) == v.is_known(v.RATING, label)


def test_assessment_statuses_are_read_alike() -> None:
    assert v.is_current(None) and v.is_current("current") and v.is_current(v.CURRENT)
    assert not v.is_current(v.HISTORIC)
    assert v.is_known(v.ASSESSMENT_STATUS, "CURRENT") and v.is_known(
        v.ASSESSMENT_STATUS, "Historic"
    )
    assert not v.is_known(v.ASSESSMENT_STATUS, "Superseded")
