"""Sweeps: full and incremental review cycles at one register size, against a live simulator.

Each cycle runs in a fresh monitor process (:mod:`bench.worker`); the floor client runs in
its own process before and after the sweeps at the same concurrency; the simulator runs in a
third (:mod:`bench.simproc`). Order: floor, baseline (empty database), steady (nothing
changed), full review with 1% changed, incremental cycle with 1% changed (each change a new
report, whose text the cycle reads), the same without reading report texts, floor again, then
baseline and steady against PostgreSQL when a database is given. Between the first floor and
the first cycle, before any change is made (a first review would otherwise read the new
reports' texts): ``cqc-monitor check --full`` as an operator runs it, a whole process from
start-up to exit, into an empty database (baseline) and again (steady), ``process_runs``
times each.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import startup
from bench.measure import ROOT, database_stats, difference, fresh_database, run_module
from bench.simproc import SUBSCRIPTION_KEY, SimProcess

FEED_PAGE_SIZE = 1000  # the monitor asks for the API's maximum page size


@dataclass(frozen=True)
class SweepPlan:
    size: int
    concurrency: int
    workdir: Path
    postgres_url: str | None = None
    changed_fraction: float = 0.01
    scenarios: tuple[str, ...] = (
        "baseline",
        "steady",
        "full_changed",
        "incremental",
        "incremental_no_text",
    )
    process_runs: int = 3  # whole ``check --full`` processes, baseline and steady, each

    @property
    def changed(self) -> int:
        return max(1, round(self.size * self.changed_fraction))


def run_sweeps(plan: SweepPlan, progress: Any = print) -> dict[str, Any]:
    """Every scenario of ``plan`` against one simulator; results keyed by scenario."""
    plan.workdir.mkdir(parents=True, exist_ok=True)
    with SimProcess(plan.size) as sim:
        ids_file = plan.workdir / "ids.txt"
        ids_file.write_text("\n".join(sim.ids), encoding="ascii")
        results: dict[str, Any] = {"size": plan.size, "changed": plan.changed}
        results["floor_before"] = _floor(sim, plan, ids_file, progress)
        if plan.process_runs:  # before any change: a first review reads no report's text
            results.update(_check_processes(sim, plan, ids_file, progress))
        sqlite_url = f"sqlite:///{plan.workdir / f'monitor-{plan.size}.db'}"
        fresh_database(sqlite_url)
        for scenario in plan.scenarios:
            results[scenario] = _scenario(sim, plan, scenario, sqlite_url, progress)
        results["floor_after"] = _floor(sim, plan, ids_file, progress)
        if plan.postgres_url:
            fresh_database(plan.postgres_url)
            for scenario in ("baseline", "steady"):
                name = f"postgres_{scenario}"
                results[name] = _scenario(sim, plan, scenario, plan.postgres_url, progress)
    return results


def run_baseline(size: int, concurrency: int, workdir: Path, progress: Any = print) -> Any:
    """One baseline sweep into an empty SQLite database (the memory figures)."""
    workdir.mkdir(parents=True, exist_ok=True)
    plan = SweepPlan(size=size, concurrency=concurrency, workdir=workdir)
    with SimProcess(size) as sim:
        url = f"sqlite:///{workdir / f'memory-{size}.db'}"
        fresh_database(url)
        return _scenario(sim, plan, "baseline", url, progress)


def run_explicit_memory(
    size: int, concurrency: int, workdir: Path, progress: Any = print
) -> dict[str, Any]:
    """Peak RSS of a full review of an explicit ``[watch] locations`` list of ``size`` ids
    (baseline, then steady) beside the register walk of the same register."""
    workdir.mkdir(parents=True, exist_ok=True)
    plan = SweepPlan(size=size, concurrency=concurrency, workdir=workdir)
    results: dict[str, Any] = {"size": size}
    with SimProcess(size) as sim:
        ids_file = workdir / "ids.txt"
        ids_file.write_text("\n".join(sim.ids), encoding="ascii")
        explicit = {"locations_file": str(ids_file)}
        url = f"sqlite:///{workdir / f'explicit-{size}.db'}"
        fresh_database(url)
        for scenario in ("baseline", "steady"):
            name = f"explicit_{scenario}"
            results[name] = _scenario(sim, plan, scenario, url, progress, explicit, name)
        walk_url = f"sqlite:///{workdir / f'register-{size}.db'}"
        fresh_database(walk_url)
        results["register_baseline"] = _scenario(
            sim, plan, "baseline", walk_url, progress, label="register_baseline"
        )
    return results


def _floor(sim: SimProcess, plan: SweepPlan, ids_file: Path, progress: Any) -> dict[str, Any]:
    spec = {
        "base_url": sim.base_url,
        "ids_file": str(ids_file),
        "concurrency": plan.concurrency,
        "subscription_key": SUBSCRIPTION_KEY,
    }
    before = sim.stats()
    result = run_module("bench.floor", spec)
    add_server_side(result, before, sim.stats(), result["requests"])
    result["locations_per_s"] = result["requests"] / result["wall_s"]
    result["cpu_ms_per_request"] = result["cpu_s"] / result["requests"] * 1e3
    progress(f"  floor            N={plan.size:<7} {result['locations_per_s']:8.0f} loc/s")
    return result


def _scenario(
    sim: SimProcess,
    plan: SweepPlan,
    scenario: str,
    url: str,
    progress: Any,
    watch: dict[str, Any] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    changed: list[str] = []
    incremental = scenario.startswith("incremental")
    if scenario == "full_changed" or incremental:
        changed = sim.change(plan.changed)
        # The change feed has one-second resolution and its end is exclusive: let the clock
        # pass the second of the changes so this cycle's window (or watermark) is clean.
        time.sleep(1.1)
    kind = "incremental" if incremental else "full"
    options = {**(watch or {}), "report_text": scenario != "incremental_no_text"}
    result = _measured_cycle(sim, plan, url, kind, options)
    locations = max(result["cycle"]["locations"], 1)
    result.update(
        scenario=scenario,
        database="postgresql" if url.startswith("postgresql") else "sqlite",
        db_bytes_per_location=result["written"]["bytes"] / locations,
        locations_per_s=result["cycle"]["locations"] / result["wall_s"],
        cpu_ms_per_location=result["cpu_s"] / locations * 1e3,
        changed_locations=len(changed),
    )
    if incremental:
        # Each changed location once, each new report's text once (when read), the feed's
        # pages, and the two requests every cycle makes.
        pages = max(1, math.ceil(len(changed) / FEED_PAGE_SIZE))
        texts = len(changed) if options["report_text"] else 0
        result["request_budget"] = len(changed) + texts + pages + 2
    progress(
        f"  {result['database'][:6]:<6} {label or scenario:<17} N={plan.size:<7}"
        f" {result['locations_per_s']:8.0f} loc/s  {result['cpu_ms_per_location']:6.2f} ms CPU/loc"
    )
    return result


def _measured_cycle(
    sim: SimProcess, plan: SweepPlan, url: str, kind: str, options: dict[str, Any]
) -> dict[str, Any]:
    """One cycle in a monitor process, with what it wrote and what the simulator served
    (``options``: the worker's own, as the watched locations or report_text)."""
    spec = {
        "database_url": url,
        "base_url": sim.base_url,
        "subscription_key": SUBSCRIPTION_KEY,
        "kind": kind,
        "concurrency": plan.concurrency,
        **options,
    }
    stats_before, server_before = database_stats(url), sim.stats()
    result = run_module("bench.worker", spec, log=plan.workdir / "worker.log")
    result["written"] = difference(database_stats(url), stats_before)
    add_server_side(result, server_before, sim.stats(), result["cycle"]["locations"])
    # Counted by the simulator, which answered them: the monitor keeps no counter of its own.
    result["requests"] = sum(result["server_requests"].values())
    return result


def _check_processes(
    sim: SimProcess, plan: SweepPlan, ids_file: Path, progress: Any
) -> dict[str, Any]:
    """``cqc-monitor check --full`` as a whole process (start-up, migration check, the cycle,
    delivery, exit), timed from outside with its peak RSS as ``/usr/bin/time`` reports it:
    into an empty database (baseline), then again (steady), ``plan.process_runs`` times. The
    schema is made beforehand (``cqc-monitor db upgrade``, as for the in-process sweeps):
    a first review is measured, not the migrations, which run once per deployment.

    Each run has a floor of its own, measured just before it: on a shared machine the load
    moves within seconds, and a ratio is only fair between neighbours. Reported: the median
    of the runs' ratios (``floor_ratio``), the median run's figures, every run's. The package
    runs from bytecode, as installed (:func:`bench.startup.compile_tree`)."""
    runs: dict[str, list[dict[str, Any]]] = {"process_baseline": [], "process_steady": []}
    startup.compile_tree(ROOT)
    for number in range(plan.process_runs):
        folder = plan.workdir / f"process-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        config = _process_config(folder, sim.base_url, plan.concurrency)
        fresh_database(f"sqlite:///{folder / 'monitor.db'}")
        floor = _floor(sim, plan, ids_file, progress)["locations_per_s"]
        for scenario in runs:
            before = sim.stats()
            wall, peak = startup.run_timed(ROOT, startup.command(config, ["check", "--full"]))
            after = sim.stats()
            figures: dict[str, Any] = {"wall_s": wall, "peak_rss_mb": peak}
            add_server_side(figures, before, after, plan.size)
            figures["requests"] = sum(figures["server_requests"].values())
            figures["locations_per_s"] = plan.size / wall
            figures["floor_locations_per_s"] = floor
            figures["floor_ratio"] = figures["locations_per_s"] / floor
            runs[scenario].append(figures)
    results = {}
    for scenario, measured in runs.items():
        median = sorted(measured, key=lambda r: r["wall_s"])[len(measured) // 2]
        results[scenario] = {
            **median,
            "scenario": scenario,
            "runs": len(measured),
            "walls_s": [round(r["wall_s"], 3) for r in measured],
            "floor_ratios": [round(r["floor_ratio"], 3) for r in measured],
            "floor_ratio": statistics.median(r["floor_ratio"] for r in measured),
            "median_wall_s": statistics.median(r["wall_s"] for r in measured),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in measured),
        }
        progress(
            f"  sqlite {scenario:<17} N={plan.size:<7} {results[scenario]['floor_ratio']:8.2f}"
            f" × floor (median of {len(measured)}), peak {results[scenario]['peak_rss_mb']:.1f} MB"
        )
    return results


def _process_config(folder: Path, base_url: str, concurrency: int) -> Path:
    """The settings of the in-process sweeps, as an operator's configuration file."""
    options = f"concurrency = {concurrency}\nchange_feed_overlap_minutes = 0\n"
    return startup.write_config(folder, base_url, source_options=options)


def add_server_side(
    result: dict[str, Any], before: dict[str, Any], after: dict[str, Any], locations: int
) -> None:
    """Requests as the simulator counted them, and its CPU per location served."""
    counts = {
        kind: n - before["requests"].get(kind, 0)
        for kind, n in after["requests"].items()
        if n - before["requests"].get(kind, 0)
    }
    result["server_requests"] = counts
    cpu = after["cpu_s"] - before["cpu_s"]
    result["simulator_cpu_ms_per_location"] = cpu / max(locations, 1) * 1e3
