"""A cycle's progress tells the truth: the total is the listing's own ``total`` (the
register's, a saved search's) from its first page, never the count done so far, and the
log lines for piped output carry it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.runtime.progress import LoggedProgress
from monitor.sim import Population, SimulatedCqc
from tests.fakes import FakeClock
from tests.support.apps import app_for, settings_for, simulator_source

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SEARCH = {"name": "east-care-homes", "region": ["East", "London"], "careHome": "Y"}


class Recorded:
    """Every figure a progress display is given, in order."""

    def __init__(self) -> None:
        self.totals: list[int | None] = []
        self.seen: list[tuple[int, int | None]] = []  # (done, total) after each batch

    def started(self, kind: str, total: int | None) -> None:
        self.totals.append(total)

    def expect(self, total: int) -> None:
        self.totals.append(total)

    def advanced(self, done: int, errors: int) -> None:
        self.seen.append((done, self.totals[-1]))

    def finished(self) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, str, str]]:
    simulator = SimulatedCqc(Population.generate(160, seed=11), clock=FakeClock(START).now)
    with simulator.serve() as server:
        yield simulator, server.base_url, f"sqlite:///{tmp_path / 'monitor.db'}"


def _expected(simulator: SimulatedCqc) -> int:
    return sum(
        1
        for i in simulator.population.ids()
        if simulator.document(i).get("region") in ("East", "London")
        and simulator.document(i).get("careHome") == "Y"
    )


def _run(database_url: str, base_url: str, progress: object, **watch: object) -> None:
    settings = settings_for(database_url, sources=simulator_source(base_url), watch=watch)
    app_for(settings, clock=FakeClock(START)).review(progress=progress).run("full")  # type: ignore[arg-type]


def test_a_saved_search_total_is_its_listing_total_on_every_cycle(
    served: tuple[SimulatedCqc, str, str],
) -> None:
    simulator, base_url, database_url = served
    matching = _expected(simulator)
    for _ in range(2):  # the second time, the members are already watched
        progress = Recorded()
        _run(database_url, base_url, progress, search=[SEARCH])
        assert progress.seen, "progress was reported"
        assert all(total == matching for _, total in progress.seen), progress.seen
        assert progress.seen[-1][0] == matching


def test_the_whole_register_total_is_known_from_its_first_page(
    served: tuple[SimulatedCqc, str, str],
) -> None:
    simulator, base_url, database_url = served
    progress = Recorded()
    _run(database_url, base_url, progress, all=True)
    register = len(list(simulator.population.ids()))
    assert all(total == register for _, total in progress.seen), progress.seen


def test_piped_progress_lines_carry_the_total(served: tuple[SimulatedCqc, str, str]) -> None:
    _, base_url, database_url = served
    with capture_logs() as logs:
        _run(database_url, base_url, LoggedProgress(0), all=True)
    lines = [entry for entry in logs if entry["event"] == "cycle_progress"]
    assert lines and all(line["total"] == 160 for line in lines)
    assert all(line["eta_s"] is not None for line in lines)
