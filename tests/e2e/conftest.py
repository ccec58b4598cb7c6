"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs


@pytest.fixture
def sim() -> Iterator[tuple[SimulatedCqc, str]]:
    """The three real documents served by the simulated API: (simulator, base URL)."""
    simulator = SimulatedCqc(
        Population.from_documents(docs.all_real().values()), subscription_key="sim-key"
    )
    with simulator.serve() as server:
        yield simulator, server.base_url
