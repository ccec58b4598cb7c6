"""A sink's ``searches``: the events of a search's locations, and its joins and departures."""

from __future__ import annotations

from typing import Any

from monitor.domain.events import Event, LocationRef
from monitor.services.routing import route
from monitor.sinks.base import SinkConfig

ROSE = LocationRef("1-555", "Rose Court", "1-999", "https://www.cqc.org.uk/location/1-555")
SINKS = [
    SinkConfig(name="everything", type="console"),
    SinkConfig(name="kent-team", type="console", searches=["kent-care-homes"]),
    SinkConfig(
        name="kent-or-henley",
        type="console",
        searches=["kent-care-homes"],
        locations=["1-10000302982"],
    ),
    SinkConfig(name="provider", type="console", providers=["1-999"]),
]


def event(kind: str, **details: Any) -> Event:
    return Event("evt_1", kind, "info", "2026-11-12T07:00:00Z", ROSE, "summary", details)


def test_a_members_rating_change_goes_to_the_searchs_sinks() -> None:
    changed = event("rating_changed", changes=[])
    assert route(changed, SINKS, {"kent-care-homes"}) == [
        "everything",
        "kent-team",
        "kent-or-henley",
        "provider",
    ]
    assert route(changed, SINKS) == ["everything", "provider"]


def test_joining_and_leaving_go_to_the_sinks_of_that_search() -> None:
    for kind in ("location_added", "location_left"):
        moved = event(kind, search="kent-care-homes")
        assert route(moved, SINKS) == ["everything", "kent-team", "kent-or-henley", "provider"]
        other = event(kind, search="london-dentists")
        assert route(other, SINKS) == ["everything", "provider"]
