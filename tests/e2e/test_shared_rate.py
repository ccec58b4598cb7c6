"""Two ``check`` processes on one PostgreSQL database share the configured request rate: the
simulated CQC API sees the total, not twice it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.sim import Population, SimulatedCqc
from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.tables import Cycle
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.support.cli import clean_environment, command

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)"
    ),
]
RATE = 20.0
EACH = 60  # locations per process: three seconds of the whole rate


def config_for(folder: Path, base_url: str) -> Path:
    config = folder / "monitor.toml"
    config.write_text(
        f"""
[database]
url = "{POSTGRES_URL}"

[sources.cqc_api]
base_url = "{base_url}"
subscription_key = "sim-key"
requests_per_second = {RATE}
concurrency = 4
timeout_seconds = 5

[watch]
locations = []

[logging]
format = "json"
"""
    )
    return config


def check(config: Path, ids: list[str]) -> subprocess.Popen[str]:
    only = [argument for location_id in ids for argument in ("--location", location_id)]
    return subprocess.Popen(
        command(config, "check", "--no-deliver", *only),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )


def cycle_starts() -> list[float]:
    engine = make_engine(POSTGRES_URL)
    try:
        with Session(engine) as session:
            return [started.timestamp() for started in session.scalars(select(Cycle.started_at))]
    finally:
        engine.dispose()


def test_two_checks_on_one_database_send_the_configured_rate_between_them(
    tmp_path: Path,
) -> None:
    reset_postgres(POSTGRES_URL)
    engine = make_engine(POSTGRES_URL)
    upgrade(engine)  # before either process would
    engine.dispose()
    simulator = SimulatedCqc(Population.generate(2 * EACH, seed=5))
    ids = list(simulator.population.ids())
    first, second = ids[:EACH], ids[EACH : 2 * EACH]
    with simulator.serve() as server:
        config = config_for(tmp_path, server.base_url)
        simulator.requests.start()
        processes = [check(config, first), check(config, second)]
        outcomes = [process.communicate(timeout=120) for process in processes]

    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err
        assert f"{EACH} locations checked" in out, out
    arrivals = simulator.requests.arrivals("location")
    assert sorted(a.location_id for a in arrivals) == sorted(first + second)
    times_of = {
        name: [a.at for a in arrivals if a.location_id in group]
        for name, group in (("first", set(first)), ("second", set(second)))
    }
    assert min(times_of["first"]) < max(times_of["second"]), "the checks did not overlap"
    assert min(times_of["second"]) < max(times_of["first"]), "the checks did not overlap"
    # No request can be paced before its process's cycle began; from the first cycle's start
    # to the last request, the two together sent at most the configured rate.
    began = min(cycle_starts())
    assert arrivals[-1].at - began >= (len(arrivals) - 1) / RATE * 0.95
