"""A spot check (``check --location``) is a cycle of its own kind: it never passes for the
scheduled poll or full review, so the staleness alarms keep telling the truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.sim import SimulatedCqc
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.figures import read_figures
from monitor.store.tables import Cycle
from tests.support import documents as docs
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow


def _age_cycles(database: Path, days: int) -> None:
    """Every recorded cycle as if it ran ``days`` ago."""
    engine = make_engine(f"sqlite:///{database}")
    with make_session_factory(engine).begin() as session:
        for cycle in session.scalars(select(Cycle)):
            cycle.started_at -= timedelta(days=days)
            if cycle.finished_at is not None:
                cycle.finished_at -= timedelta(days=days)
    engine.dispose()


@pytest.mark.parametrize("full", [False, True], ids=["spot", "spot-full"])
def test_a_spot_check_is_its_own_kind_and_resets_no_alarm(
    tmp_path: Path, sim: tuple[SimulatedCqc, str], full: bool
) -> None:
    config = write_config(tmp_path, sim[1])
    assert run_cli(config, "check", "--full").returncode == 0
    _age_cycles(tmp_path / "monitor.db", 40)

    flags = ["--full"] if full else []
    spot = run_cli(config, "check", "--location", docs.HENLEY, *flags)
    assert spot.returncode == 0, spot.stderr
    assert spot.stdout.startswith("spot cycle 2: 1 locations checked")

    result = run_cli(config, "status", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["cycles"]["spot"]["status"] == "completed"
    assert report["cycles"]["full"]["id"] == 1
    assert report["cycles"]["incremental"] is None
    assert any("no full review has completed since" in r for r in report["attention"])
    assert any("no cycle has completed since" in r for r in report["attention"])

    table = run_cli(config, "status").stdout
    assert "  spot " in table

    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    with make_session_factory(engine)() as session:
        figures = read_figures(session)
    engine.dispose()
    # The gauges the Prometheus staleness rules read: only whole-watchlist cycles.
    assert set(figures.last_success) == {"full"}
    assert figures.last_success["full"] < datetime.now(UTC) - timedelta(days=30)
