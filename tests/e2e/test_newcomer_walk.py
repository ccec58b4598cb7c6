"""A new operator's first hour, as one walk: every statement the monitor makes on the way is
true. A spot check passes for no scheduled cycle, a mistyped id fails, a mistyped event type
is named with the word meant, fourteen mistakes come back in one run, and a saved search's
progress counts towards what the search matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.sim import SimulatedCqc
from tests.e2e.test_config_mistakes import EXPECTED, FOURTEEN
from tests.support import documents as docs
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow

SEARCH = """progress_seconds = 0

[[watch.search]]
name = "care-homes"
careHome = "Y"
"""


def test_the_newcomers_walk_meets_only_true_statements(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    simulator, base_url = sim

    # A spot check first: status must not take it for a poll or a full review.
    config = write_config(tmp_path, base_url)
    spot = run_cli(config, "check", "--location", docs.HENLEY, "--full")
    assert spot.returncode == 0, spot.stderr
    status = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert status["cycles"]["full"] is None and status["cycles"]["incremental"] is None
    assert status["cycles"]["spot"]["status"] == "completed"
    assert "no cycle has completed yet" in status["attention"]

    # A mistyped id: CQC has no such location, and nothing is counted as gone.
    typo = run_cli(config, "check", "--location", "1-12345")
    assert typo.returncode == 1
    assert "CQC has no location 1-12345" in typo.stderr
    status = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert status["locations"]["gone"] == 0

    # A mistyped event type in a sink: refused, with the word meant.
    sink = '[[sinks]]\nname = "ops"\ntype = "console"\nevents = ["rating_change"]\n'
    mistyped = write_config(tmp_path, base_url, extra=sink)
    refused = run_cli(mistyped, "config", "check")
    assert refused.returncode == 2
    assert "sinks[0].events" in refused.stderr and "did you mean rating_changed" in refused.stderr

    # Fourteen mistakes: all fourteen in one run.
    fourteen = tmp_path / "fourteen.toml"
    fourteen.write_text(FOURTEEN.format(folder=tmp_path))
    all_of_them = run_cli(fourteen, "config", "check")
    assert all_of_them.returncode == 2 and "14 problems" in all_of_them.stderr
    assert all(f"{key}:" in all_of_them.stderr for key, _ in EXPECTED)

    # A saved search with progress (piped, so logged): the total is what the search matches.
    matching = sum(
        1 for i in simulator.population.ids() if simulator.document(i)["careHome"] == "Y"
    )
    searched = write_config(tmp_path, base_url, locations=[], extra=SEARCH)
    run = run_cli(searched, "check", "--full")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    progress = [line for line in lines if line.get("event") == "cycle_progress"]
    assert progress and all(line["total"] == matching for line in progress)
    assert all(line["done"] <= line["total"] for line in progress)
