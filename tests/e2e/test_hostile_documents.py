"""One poisonous document never stops the watchlist: whatever a location's body does to the
decoder, parser, redaction, hash or store, it is an error for that location alone, the other
locations are stored, and ``monitor_failing`` fires after the configured failures in a row.

Bodies are served byte for byte by the simulated CQC API over HTTP to the real client.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import Fetch, Location, SnapshotRecord
from tests.fakes import FakeClock, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

pytestmark = pytest.mark.slow
WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]
SENTINEL = "__POISON__"


def henley_with(value: str, *, at: str = "name") -> bytes:
    """Henley House's real document with ``at`` set to the raw JSON text ``value``."""
    doc = docs.real(docs.HENLEY)
    doc[at] = SENTINEL
    return json.dumps(doc).replace(f'"{SENTINEL}"', value).encode()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


POISONS: dict[str, Callable[[], bytes]] = {
    "beds-overflow": lambda: henley_with("1e400", at="numberOfBeds"),
    "beds-boolean": lambda: henley_with("true", at="numberOfBeds"),
    "name-object": lambda: henley_with('{"first": "Henley"}'),
    "name-unpaired-surrogate": lambda: henley_with('"Henley \\ud800 House"'),
    "name-nul": lambda: henley_with('"Henley\\u0000House"'),
    "nested-500": lambda: henley_with(deep(500), at="gacServiceTypes"),
    "nested-100000": lambda: henley_with(deep(100_000), at="specialisms"),
    "rating-number": lambda: json.dumps(
        docs.set_key_question(docs.real(docs.HENLEY), "Safe", 3)  # type: ignore[arg-type]
    ).encode(),
    "date-garbage": lambda: henley_with('"sometime in 2020"', at="registrationDate"),
}


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[SimulatedCqc, App, FakeClock, RecordingSink]]:
    clock = FakeClock(datetime(2026, 11, 1, 6, 0, tzinfo=UTC))
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()), clock=clock.now)
    sink = RecordingSink("ops")
    with sim.serve() as server:
        settings = settings_for(
            database_url,
            sources={
                "cqc_api": {
                    "base_url": server.base_url,
                    "subscription_key": "sim-key",
                    "requests_per_second": 0,
                    "max_attempts": 1,
                }
            },
            watch={"locations": WATCHED},
            alerts={"failing_after": 2},
            sinks=[{"name": "ops", "type": "console"}],
        )
        yield sim, app_for(settings, clock=clock, sinks={"ops": sink}), clock, sink


@pytest.mark.parametrize("poison", list(POISONS), ids=str)
def test_a_poisonous_document_is_an_error_for_its_location_alone(
    world: tuple[SimulatedCqc, App, FakeClock, RecordingSink], poison: str
) -> None:
    sim, app, clock, sink = world
    sim.serve_raw(docs.HENLEY, POISONS[poison]())

    first = app.review().run("full")

    assert (first.baselines, first.errors, first.events) == (2, 1, [])
    assert first.failures[0][0] == docs.HENLEY
    with app.sessions() as session:
        stored = set(session.scalars(select(SnapshotRecord.location_id)))
        henley = session.get(Location, docs.HENLEY)
        error = session.scalars(select(Fetch.error).where(Fetch.location_id == docs.HENLEY)).one()
    assert stored == {docs.LUCERNE, docs.ALLIED}
    assert henley is not None and henley.consecutive_failures == 1
    assert error and henley.last_error == error

    clock.advance(days=1)
    second = app.review().run("full")
    app.dispatcher().deliver_due()
    (failing,) = second.events
    assert (failing.type, failing.location.id) == ("monitor_failing", docs.HENLEY)
    assert [a.event.type for batch in sink.batches for a in batch] == ["monitor_failing"]

    # The location comes right: it is baselined, silently, and the recovery is reported.
    sim.serve_raw(docs.HENLEY, None)
    clock.advance(days=1)
    third = app.review().run("full")
    assert third.baselines == 1
    assert [e.type for e in third.events] == ["monitor_recovered"]


def test_an_unreadable_value_in_a_field_the_monitor_does_not_read_is_kept_escaped(
    world: tuple[SimulatedCqc, App, FakeClock, RecordingSink],
) -> None:
    sim, app, _, _ = world
    doc = docs.real(docs.HENLEY)
    doc["alsoKnownAs"] = SENTINEL
    sim.serve_raw(docs.HENLEY, json.dumps(doc).replace(f'"{SENTINEL}"', '"\\udfff"').encode())

    report = app.review().run("full")

    assert (report.baselines, report.errors) == (3, 0)
    with app.sessions() as session:
        raw = session.scalars(
            select(SnapshotRecord.raw).where(SnapshotRecord.location_id == docs.HENLEY)
        ).one()
    assert b'"alsoKnownAs":"\\udfff"' in zlib.decompress(raw)
