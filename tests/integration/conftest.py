"""Fixtures for the HTTP client tests: a `responses` mock and a record of retry waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    """Seconds the client asked to wait between retries (tests never really sleep)."""
    return []
