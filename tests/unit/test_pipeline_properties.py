"""Property-based tests of the parser and the whole per-location pipeline (decode → parse →
decide → redact → compress): arbitrary JSON and mutated real documents never raise out of the
per-location step, an invalid document never produces a change event, and a valid document
compared with itself never produces any event."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from monitor.domain.decide import LocationState, Policy
from monitor.domain.diff import diff
from monitor.errors import MalformedResponseError
from monitor.services.observe import Observer
from monitor.services.review import ReviewOptions, process
from monitor.sources.api_client import decode_json_object
from monitor.sources.api_document import parse_location
from monitor.sources.base import FetchResult
from monitor.sources.http import HttpResponse
from tests.fakes import FakeClock
from tests.support import documents as docs

NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
LOCATION = docs.HENLEY
REAL = docs.all_real()
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    # Most mutations make a document invalid: the self-diff property keeps the valid ones.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Text that stresses encoders: unpaired surrogates, NUL, controls, right-to-left, emoji.
hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "\udfff", "\x00", "\r\n", "\u202e", "🏥", "=cmd|' /C calc'!A0"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


class BodySource:
    """A LocationSource answering every fetch with one body, decoded by the real decoder."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def fetch_location(self, location_id: str) -> FetchResult:
        url = f"http://127.0.0.1/locations/{location_id}"
        response = HttpResponse(status=200, body=self.body, headers={}, elapsed_ms=1.0, url=url)
        try:
            data = decode_json_object(response)
        except MalformedResponseError as exc:
            return FetchResult("error", url, 200, 1.0, len(self.body), error=str(exc))
        return FetchResult("ok", url, 200, 1.0, len(self.body), body=self.body, data=data)

    def provider_location_ids(self, provider_id: str) -> list[str]:
        return []

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        return iter(())

    def iter_changes(
        self, start: datetime, end: datetime, on_total: Callable[[int], None] | None = None
    ) -> Iterator[str]:
        return iter(())


def run_pipeline(body: bytes, known: bool = True) -> Any:
    """The per-location step of a cycle for a location whose last snapshot is Henley House's."""
    gathered = Observer.of_locations(BodySource(body), None, FakeClock(NOW))(LOCATION)
    before = parse_location(REAL[LOCATION])
    state = LocationState(
        id=LOCATION,
        name="Henley House",
        last_hash=before.content_hash() if known else None,
        last_snapshot_id=1 if known else None,
        watched_since=NOW,
    )
    options = ReviewOptions(policy=Policy(failing_after=1))
    return process(gathered, state, before if known else None, now=NOW, options=options)


def encode(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A real document with one to three of its fields swapped, dropped, inflated or nested."""
    doc = copy.deepcopy(REAL[draw(st.sampled_from(sorted(REAL)))])
    doc["locationId"] = LOCATION
    for _ in range(draw(st.integers(1, 3))):
        path = draw(_paths(doc))
        parent, key = path
        mutation = draw(st.sampled_from(["swap", "drop", "huge", "nest", "text"]))
        if mutation == "drop" and isinstance(parent, dict):
            parent.pop(key, None)
        elif mutation == "huge":
            parent[key] = draw(st.sampled_from([10**400, 1e308, "x" * 100_000, [0] * 10_000]))
        elif mutation == "nest":
            value: Any = parent[key]
            for _ in range(draw(st.integers(50, 400))):
                value = [value]
            parent[key] = value
        elif mutation == "text":
            parent[key] = draw(hostile_text)
        else:
            parent[key] = draw(json_values)
    return doc


def _paths(doc: Any) -> st.SearchStrategy[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []

    def walk(node: Any, depth: int) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            found.append((node, key))
            if depth < 4 and isinstance(value, dict | list):
                walk(value, depth + 1)

    walk(doc, 0)
    return st.sampled_from(found)


def test_the_harness_reads_a_real_document_like_a_cycle_does() -> None:
    assert run_pipeline(encode(REAL[LOCATION])).decision.outcome == "unchanged"
    changed = docs.set_key_question(REAL[LOCATION], "Safe", "Inadequate")
    applied = run_pipeline(encode(changed))
    assert applied.decision.outcome == "changed" and applied.raw is not None
    assert [e.type for e in applied.decision.events] == ["rating_changed"]


@PROPERTY_SETTINGS
@given(json_values)
def test_parse_accepts_or_refuses_any_json_but_never_crashes(value: Any) -> None:
    with contextlib.suppress(MalformedResponseError):
        parse_location(value)


@PROPERTY_SETTINGS
@given(mutated_documents())
def test_a_mutated_real_document_never_escapes_the_per_location_step(doc: Any) -> None:
    applied = run_pipeline(encode(doc))
    decision = applied.decision
    event(f"outcome: {decision.outcome}")
    if decision.outcome == "error":
        # An invalid document reports the failure itself, never a change it cannot know.
        assert {e.type for e in decision.events} <= {"monitor_failing"}
        assert decision.snapshot is None
        assert decision.state.last_error
    else:
        assert decision.snapshot is not None or decision.outcome == "unchanged"


@PROPERTY_SETTINGS
@given(json_values)
def test_arbitrary_json_bodies_are_an_error_or_a_location(value: Any) -> None:
    applied = run_pipeline(encode(value), known=False)
    assert applied.decision.outcome in {"error", "baseline"}
    if applied.decision.outcome == "error":
        assert applied.decision.events == [] or applied.decision.events[0].type == (
            "monitor_failing"
        )


@PROPERTY_SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_an_error_never_an_event(body: bytes) -> None:
    applied = run_pipeline(body)
    assume(applied.decision.outcome == "error")
    assert {e.type for e in applied.decision.events} <= {"monitor_failing"}


@PROPERTY_SETTINGS
@given(mutated_documents())
def test_diff_of_a_valid_document_with_itself_is_empty(doc: Any) -> None:
    try:
        snapshot = parse_location(doc)
        again = parse_location(copy.deepcopy(doc))
    except MalformedResponseError:
        assume(False)
        return
    assert diff(snapshot, again, detected_at="2026-11-29T07:00:00Z") == []
