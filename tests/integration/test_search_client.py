"""The API client resolving saved searches against the simulated API over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.sim import Population, RunningServer, SimulatedCqc
from monitor.sources.api_client import CqcApiClient
from monitor.sources.http import HttpGetter
from tests.support.counting import CountingGetter

BOTH = {"inspectionDirectorate": ["Hospitals", "Adult social care"]}


@pytest.fixture(scope="module")
def sim() -> SimulatedCqc:
    return SimulatedCqc(Population.generate(2500, seed=5))


@pytest.fixture(scope="module")
def server(sim: SimulatedCqc) -> Iterator[RunningServer]:
    with sim.serve() as running:
        yield running


@pytest.fixture
def getter() -> Iterator[CountingGetter]:
    counting = CountingGetter(HttpGetter())
    yield counting
    counting.close()


@pytest.fixture
def client(server: RunningServer, getter: CountingGetter) -> CqcApiClient:
    return CqcApiClient(getter, base_url=server.base_url, subscription_key="sim-key")


def test_a_list_of_values_is_one_query_with_the_parameter_repeated(
    sim: SimulatedCqc, client: CqcApiClient, getter: CountingGetter
) -> None:
    filters = {"localAuthority": ["Suffolk", "Devon"], "careHome": ["Y"]}
    expected = [
        i
        for i in sim.population.ids()
        if (doc := sim.document(i))["localAuthority"] in ("Suffolk", "Devon")
        and doc["careHome"] == "Y"
    ]
    assert list(client.iter_search(filters)) == expected
    assert getter.count == 1
    assert client.count_search(filters) == len(expected)
    assert getter.count == 2


def test_a_search_of_thousands_is_read_a_page_at_a_time_as_it_is_consumed(
    client: CqcApiClient, getter: CountingGetter
) -> None:
    ids = client.iter_search(BOTH)
    assert getter.count == 0  # nothing is asked before the first id is wanted
    consumed = [next(ids)]
    assert getter.count == 1
    consumed += [next(ids) for _ in range(999)]
    assert getter.count == 1  # the first page holds 1,000
    consumed.append(next(ids))
    assert getter.count == 2
    consumed += list(ids)
    assert (len(consumed), len(set(consumed)), getter.count) == (2500, 2500, 3)


def test_counting_a_search_is_one_small_request(
    client: CqcApiClient, getter: CountingGetter
) -> None:
    assert client.count_search(BOTH) == 2500
    assert client.count_search({"localAuthority": ["Nowhere"]}) == 0
    assert getter.count == 2
