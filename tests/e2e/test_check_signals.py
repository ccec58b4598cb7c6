"""``check`` stopped by a signal, or killed, never leaves its cycle ``running`` for good."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.sim import Population, SimulatedCqc
from monitor.store.cycles import GONE
from monitor.store.engine import make_engine
from monitor.store.tables import Cycle
from tests.support import documents as docs
from tests.support.cli import clean_environment, command, run_cli, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_world(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, Path]]:
    """A regulator that takes a while to answer for each location."""
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server:
        simulator.faults.latency(1.5, path_prefix="/locations/")
        yield simulator, write_config(tmp_path, server.base_url)


def cycles(config: Path) -> list[tuple[int, str, str | None]]:
    engine = make_engine(f"sqlite:///{config.parent / 'monitor.db'}")
    try:
        with Session(engine) as session:
            rows = session.execute(select(Cycle.id, Cycle.status, Cycle.error).order_by(Cycle.id))
            return [(row.id, row.status, row.error) for row in rows]
    finally:
        engine.dispose()


def start_check_and_wait_until_its_cycle_runs(config: Path) -> subprocess.Popen[str]:
    assert run_cli(config, "db", "upgrade").returncode == 0
    process = subprocess.Popen(
        command(config, "check", "--full"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    deadline = time.monotonic() + 30
    while not any(status == "running" for _, status, _ in cycles(config)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the cycle never started"
        time.sleep(0.05)
    return process


@pytest.mark.parametrize(
    ("number", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_abandons_the_cycle_and_exits_128_plus_the_signal(
    slow_world: tuple[SimulatedCqc, Path], number: signal.Signals, code: int
) -> None:
    _, config = slow_world
    process = start_check_and_wait_until_its_cycle_runs(config)
    process.send_signal(number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert f"interrupted by {number.name}" in stderr
    assert "Traceback" not in stderr
    ((_, status, error),) = cycles(config)
    assert status == "abandoned" and "will run again" in str(error)


def test_the_next_cycle_abandons_one_left_running_by_a_killed_check(
    slow_world: tuple[SimulatedCqc, Path],
) -> None:
    simulator, config = slow_world
    process = start_check_and_wait_until_its_cycle_runs(config)
    process.kill()
    process.communicate(timeout=30)
    assert cycles(config)[0][1] == "running"

    simulator.faults.clear()
    again = run_cli(config, "check", "--full")
    assert again.returncode == 0, again.stderr
    (killed, status, error), (_, next_status, _) = cycles(config)
    assert (status, error, next_status) == ("abandoned", GONE, "completed")
    assert killed == 1
