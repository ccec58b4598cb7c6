"""The simulator's ``GET /locations`` filters, new registrations and moves, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from monitor.sim import ManualClock, Population, RunningServer, SimulatedCqc
from tests.support import documents as docs

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> SimulatedCqc:
    return SimulatedCqc(Population.generate(300, seed=3), clock=clock)


@pytest.fixture
def server(sim: SimulatedCqc) -> Iterator[RunningServer]:
    with sim.serve() as running:
        yield running


def listed(server: RunningServer, params: list[tuple[str, str]]) -> dict[str, Any]:
    with requests.Session() as http:
        http.trust_env = False
        response = http.get(
            server.base_url + "/locations",
            params=params,
            headers={"Ocp-Apim-Subscription-Key": "sim-key"},
            timeout=5,
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every_page(server: RunningServer, params: list[tuple[str, str]], per_page: int) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        body = listed(server, [*params, ("page", str(page)), ("perPage", str(per_page))])
        ids += [item["locationId"] for item in body["locations"]]
        if page >= body["totalPages"]:
            return ids
        page += 1


def where(sim: SimulatedCqc, test: Any) -> list[str]:
    """The simulator's own answer, read from its documents."""
    return [i for i in sim.population.ids() if test(sim.document(i))]


def test_a_repeated_parameter_is_any_of_and_different_ones_must_all_hold(
    sim: SimulatedCqc, server: RunningServer
) -> None:
    both = listed(server, [("localAuthority", "Suffolk"), ("localAuthority", "Devon")])
    expected = where(sim, lambda d: d["localAuthority"] in ("Suffolk", "Devon"))
    assert [i["locationId"] for i in both["locations"]] == expected
    assert {docs.HENLEY, docs.LUCERNE} < set(expected) and both["total"] == len(expected)
    care_homes = listed(server, [("localAuthority", "suffolk"), ("careHome", "Y")])
    expected = where(sim, lambda d: d["localAuthority"] == "Suffolk" and d["careHome"] == "Y")
    assert [i["locationId"] for i in care_homes["locations"]] == expected
    assert docs.HENLEY in expected
    assert listed(server, [("localAuthority", "Suffolk"), ("careHome", "N")])["total"] == len(
        where(sim, lambda d: d["localAuthority"] == "Suffolk" and d["careHome"] == "N")
    )


def test_a_filtered_list_is_paged_like_the_register(
    sim: SimulatedCqc, server: RunningServer
) -> None:
    expected = [i for i in sim.population.ids() if sim.document(i).get("careHome") == "Y"]
    assert 50 < len(expected) < 300
    assert every_page(server, [("careHome", "Y")], per_page=40) == expected
    assert listed(server, [("careHome", "Y"), ("perPage", "40")])["totalPages"] == -(
        -len(expected) // 40
    )


def test_a_new_registration_and_a_move_are_in_the_feed_and_the_filters(
    sim: SimulatedCqc, server: RunningServer, clock: ManualClock
) -> None:
    kent = [("localAuthority", "Kent"), ("careHome", "Y")]
    before = [i["locationId"] for i in listed(server, kent)["locations"]]
    new = sim.register_care_home(
        name="Rose Court", local_authority="Kent", region="South East", registered="2026-11-03"
    )
    clock.advance(minutes=5)
    sim.move(docs.HENLEY, local_authority="Kent", region="South East")
    after = [i["locationId"] for i in listed(server, kent)["locations"]]
    assert sorted(after) == sorted([*before, new, docs.HENLEY])
    document = sim.document(new)
    assert (document["registrationDate"], document["registrationStatus"]) == (
        "2026-11-03",
        "Registered",
    )
    assert "currentRatings" not in document and "reports" not in document
    assert sim.feed.between(START, clock()) == [new]
    assert sim.feed.between(START, clock.advance(seconds=1)) == [new, docs.HENLEY]
