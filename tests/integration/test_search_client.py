"""The API client resolving saved searches against the simulated API over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.sim import Population, RunningServer, SimulatedCqc
from monitor.sources.api_client import CqcApiClient

BOTH = {"inspectionDirectorate": ["Hospitals", "Adult social care"]}


@pytest.fixture(scope="module")
def sim() -> SimulatedCqc:
    return SimulatedCqc(Population.generate(2500, seed=5))


@pytest.fixture(scope="module")
def server(sim: SimulatedCqc) -> Iterator[RunningServer]:
    with sim.serve() as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[CqcApiClient]:
    api = CqcApiClient.create(
        base_url=server.base_url, subscription_key="sim-key", requests_per_second=0
    )
    yield api
    api.getter.close()


def test_a_list_of_values_is_one_query_with_the_parameter_repeated(
    sim: SimulatedCqc, client: CqcApiClient
) -> None:
    filters = {"localAuthority": ["Suffolk", "Devon"], "careHome": ["Y"]}
    expected = [
        i
        for i in sim.population.ids()
        if (doc := sim.document(i))["localAuthority"] in ("Suffolk", "Devon")
        and doc["careHome"] == "Y"
    ]
    assert list(client.iter_search(filters)) == expected
    assert client.requests_made == 1
    assert client.count_search(filters) == len(expected)
    assert client.requests_made == 2


def test_a_search_of_thousands_is_read_a_page_at_a_time_as_it_is_consumed(
    client: CqcApiClient,
) -> None:
    ids = client.iter_search(BOTH)
    assert client.requests_made == 0  # nothing is asked before the first id is wanted
    consumed = [next(ids)]
    assert client.requests_made == 1
    consumed += [next(ids) for _ in range(999)]
    assert client.requests_made == 1  # the first page holds 1,000
    consumed.append(next(ids))
    assert client.requests_made == 2
    consumed += list(ids)
    assert (len(consumed), len(set(consumed)), client.requests_made) == (2500, 2500, 3)


def test_counting_a_search_is_one_small_request(client: CqcApiClient) -> None:
    assert client.count_search(BOTH) == 2500
    assert client.count_search({"localAuthority": ["Nowhere"]}) == 0
    assert client.requests_made == 2
