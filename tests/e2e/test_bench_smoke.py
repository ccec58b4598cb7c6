"""``python -m bench`` at a tiny register size: the suite runs end to end and its report holds.

No timing is asserted (benchmarks measure, they do not pass or fail); what is asserted is
what the sweeps did, which the monitor guarantees at any speed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.startup import COMMANDS
from tests.support.cli import run_module

pytestmark = pytest.mark.slow
SIZE = 40


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "report.json"
    done = run_module(
        "bench",
        *("--sizes", str(SIZE), "--memory-sizes", str(SIZE), str(SIZE + 20)),
        *("--explicit-sizes", str(SIZE)),
        *("--processing-runs", "1", "--no-micro", "--no-postgres", "--startup-runs", "1"),
        *("--process-runs", "2"),
        *("--output", str(output), "--workdir", str(folder / "work")),
    )
    return json.loads(output.read_text(encoding="utf-8")), done.stdout


def test_the_table_and_the_targets_are_printed(report: tuple[dict[str, Any], str]) -> None:
    results, printed = report
    assert f"Sweeps at N={SIZE}" in printed
    assert "Targets" in printed
    names = [target["target"] for target in results["targets"]]
    assert any(name.startswith("steady review ≥ 0.6 × floor") for name in names)
    assert any(name.startswith("peak RSS < 200 MB") for name in names)


def test_the_start_up_of_each_command_is_measured(report: tuple[dict[str, Any], str]) -> None:
    results, printed = report
    commands = results["startup"]["commands"]
    assert list(commands) == [name for name, _, _ in COMMANDS]
    for figures in commands.values():
        assert 0 < figures["best_s"] <= figures["median_s"] <= figures["worst_s"]
        assert figures["peak_rss_mb"] > 0
    assert "Command-line start-up" in printed
    names = [target["target"] for target in results["targets"]]
    assert "healthcheck ≤ 40 MB peak RSS" in names and "--help ≤ 0.25 s (median)" in names


def test_baseline_stores_every_location_and_steady_stores_nothing(
    report: tuple[dict[str, Any], str],
) -> None:
    sweep = report[0]["sweeps"][str(SIZE)]
    baseline, steady = sweep["baseline"], sweep["steady"]
    assert baseline["cycle"]["baselines"] == SIZE
    assert baseline["written"]["snapshots"] == SIZE
    assert baseline["server_requests"] == {"location": SIZE, "locations": 1}
    assert steady["cycle"]["unchanged"] == SIZE
    assert (steady["written"]["snapshots"], steady["written"]["events"]) == (0, 0)
    assert steady["written"]["fetches"] == SIZE  # the fetch log is all a steady cycle adds


def test_check_full_is_measured_as_a_whole_process(report: tuple[dict[str, Any], str]) -> None:
    results, printed = report
    sweep = results["sweeps"][str(SIZE)]
    for scenario in ("process_baseline", "process_steady"):
        figures = sweep[scenario]
        assert figures["runs"] == 2 and len(figures["walls_s"]) == 2
        # Each run reads the register once and every location once, start-up to exit.
        assert figures["server_requests"] == {"location": SIZE, "locations": 1}
        assert figures["peak_rss_mb"] > 0
    names = [target["target"] for target in results["targets"]]
    assert f"check --full process, steady ≥ 0.85 × floor (N={SIZE})" in names
    assert f"check --full process, baseline ≥ 0.7 × floor (N={SIZE})" in names
    assert f"check --full process, steady ≤ 64 MB peak RSS (N={SIZE})" in names
    assert "check --full, whole process; median of 2" in printed


def test_changes_are_found_by_both_kinds_of_cycle(report: tuple[dict[str, Any], str]) -> None:
    sweep = report[0]["sweeps"][str(SIZE)]
    changed = sweep["changed"]
    full, incremental = sweep["full_changed"], sweep["incremental"]
    assert full["cycle"]["changed"] == changed
    assert full["written"]["snapshots"] == changed and full["written"]["events"] > 0
    assert incremental["cycle"]["locations"] == changed == incremental["cycle"]["changed"]
    assert incremental["requests"] <= incremental["request_budget"]
    # Each change is a new report: its text is read once, in the cycle that finds it.
    assert incremental["server_requests"] == {"changes": 1, "location": changed, "report": changed}
    assert incremental["written"]["report_texts"] == changed


def test_the_cycle_without_report_texts_reads_none(report: tuple[dict[str, Any], str]) -> None:
    sweep = report[0]["sweeps"][str(SIZE)]
    changed, without = sweep["changed"], sweep["incremental_no_text"]
    assert without["cycle"]["changed"] == changed
    assert without["requests"] <= without["request_budget"]
    assert without["server_requests"] == {"changes": 1, "location": changed}
    assert "incremental cycle at N=40" in report[1]


def test_floor_and_memory_figures_are_measured(report: tuple[dict[str, Any], str]) -> None:
    results = report[0]
    sweep = results["sweeps"][str(SIZE)]
    assert sweep["floor_before"]["requests"] == SIZE
    assert sweep["floor_before"]["failures"] == 0
    assert set(results["memory"]) == {str(SIZE), str(SIZE + 20)}
    assert results["memory"][str(SIZE + 20)]["cycle"]["baselines"] == SIZE + 20
    assert set(results["processing"]["steps"]) == {"baseline", "steady", "changed"}


def test_an_explicit_watchlist_is_measured_beside_the_register_walk(
    report: tuple[dict[str, Any], str],
) -> None:
    results, printed = report
    figures = results["explicit_memory"][str(SIZE)]
    baseline, steady = figures["explicit_baseline"], figures["explicit_steady"]
    assert baseline["cycle"]["baselines"] == SIZE == baseline["cycle"]["new_in_watchlist"]
    # An explicit list is fetched id by id: no register page is read.
    assert baseline["server_requests"] == {"location": SIZE}
    assert steady["cycle"]["unchanged"] == SIZE
    assert figures["register_baseline"]["server_requests"] == {"location": SIZE, "locations": 1}
    assert "explicit [watch] locations list vs the register walk" in printed


def test_the_shape_watchs_share_of_processing_is_measured(
    report: tuple[dict[str, Any], str],
) -> None:
    results, printed = report
    processing = results["processing"]
    baseline = processing["steps"]["baseline"]
    assert baseline["shape_cpu_ms_per_location"] > 0 and 0 < baseline["shape_share"] < 1
    without = processing["steps_without_shape_watch"]
    assert set(without) == {"baseline", "steady", "changed"}
    assert {step["shape_cpu_ms_per_location"] for step in without.values()} == {0.0}
    names = [target["target"] for target in results["targets"]]
    assert "shape watch < 10% of processing (baseline)" in names
    assert "shape watch" in printed
