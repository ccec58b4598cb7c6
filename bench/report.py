"""The benchmark report: the machine, the targets met or missed, and tables for people."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from typing import Any

from bench import startup

SWEEP_ORDER = (
    "baseline",
    "steady",
    "full_changed",
    "incremental",
    "incremental_no_text",
    "postgres_baseline",
    "postgres_steady",
)

# The peak RSS of a whole ``check --full`` process at N=2,000: urlwatch's, on the same sweep.
PROCESS_PEAK_MB = 64.0


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if "model name" in ln), "")
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            memory_gb = int(meminfo.readline().split()[1]) / 2**20
    except OSError:
        memory_gb = 0.0
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        # Other work on a shared machine inflates CPU times: the load says how much there was.
        "load_average_at_start": os.getloadavg(),
        "versions": {p: metadata.version(p) for p in ("requests", "sqlalchemy", "urllib3")},
    }


def floor_rate(sweep: dict[str, Any]) -> float:
    """The faster of the two floor runs: the stricter yardstick."""
    runs = [
        float(sweep[key]["locations_per_s"])
        for key in ("floor_before", "floor_after")
        if key in sweep
    ]
    return max(runs)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, with what was measured and whether it was met."""
    found: list[dict[str, Any]] = []
    if "startup" in results:
        found += startup_targets(results["startup"])
    for size, sweep in results.get("sweeps", {}).items():
        found += _sweep_targets(size, sweep)
    for step, figures in results.get("processing", {}).get("steps", {}).items():
        ms = figures["cpu_ms_per_location"]
        found.append(_target(f"processing CPU < 0.5 ms/location ({step})", ms, ms < 0.5, "ms"))
        share = figures.get("shape_share", 0.0)
        found.append(_target(f"shape watch < 10% of processing ({step})", share, share < 0.1, ""))
    parse = results.get("report_text", {}).get("parse_200kb")
    if parse:
        ms = parse["cpu_median_ms"]
        name = "reading the findings of a 200 kB report extract < 20 ms"
        found.append(_target(name, ms, ms < 20, "ms"))
    memory = results.get("memory", {})
    if memory:
        sizes = sorted(memory, key=int)
        small, large = memory[sizes[0]]["peak_rss_mb"], memory[sizes[-1]]["peak_rss_mb"]
        found.append(_target(f"peak RSS < 200 MB (N={sizes[-1]})", large, large < 200, "MB"))
        growth = large / small
        name = f"peak RSS N={sizes[-1]} within 25% of N={sizes[0]}"
        found.append(_target(name, growth, growth <= 1.25, "×"))
    for size, figures in results.get("explicit_memory", {}).items():
        walk = figures["register_baseline"]["peak_rss_mb"]
        for step in ("explicit_baseline", "explicit_steady"):
            ratio = figures[step]["peak_rss_mb"] / walk
            name = f"{step} peak RSS within 25% of the register walk (N={size})"
            found.append(_target(name, ratio, ratio <= 1.25, "×"))
    return found


def startup_targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The start-up targets: each command's median wall time, and peak RSS where one is set."""
    found = []
    for name, seconds, megabytes in startup.TARGETS:
        command = figures["commands"].get(name)
        if command is None:
            continue
        wall = command["median_s"]
        found.append(_target(f"{name} ≤ {seconds} s (median)", wall, wall <= seconds, "s"))
        if megabytes is not None:
            peak = command["peak_rss_mb"]
            label = f"{name} ≤ {megabytes:.0f} MB peak RSS"
            found.append(_target(label, peak, peak <= megabytes, "MB"))
    return found


def _sweep_targets(size: str, sweep: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    floor = floor_rate(sweep)
    for scenario, least in (("steady", 0.6), ("baseline", 0.5)):
        if scenario in sweep:
            ratio = sweep[scenario]["locations_per_s"] / floor
            name = f"{scenario} review ≥ {least} × floor (N={size})"
            found.append(_target(name, ratio, ratio >= least, "×"))
    # ``cqc-monitor check --full`` as an operator runs it: start-up included, median run.
    for scenario, least in (("process_steady", 0.85), ("process_baseline", 0.7)):
        if scenario in sweep:
            figures = sweep[scenario]
            kind = scenario.removeprefix("process_")
            ratio = figures["floor_ratio"]  # each run against a floor measured beside it
            name = f"check --full process, {kind} ≥ {least} × floor (N={size})"
            found.append(_target(name, ratio, ratio >= least, "×"))
            peak = figures["peak_rss_mb"]
            name = f"check --full process, {kind} ≤ {PROCESS_PEAK_MB:.0f} MB peak RSS (N={size})"
            found.append(_target(name, peak, peak <= PROCESS_PEAK_MB, "MB"))
    for scenario in ("steady", "postgres_steady"):
        if scenario in sweep:
            rows = sweep[scenario]["written"]["snapshots"] + sweep[scenario]["written"]["events"]
            name = f"{scenario}: no snapshot or event rows (N={size})"
            found.append(_target(name, rows, rows == 0, "rows"))
    for scenario, counted in (("incremental", "2k"), ("incremental_no_text", "k")):
        if scenario in sweep:
            made, budget = sweep[scenario]["requests"], sweep[scenario]["request_budget"]
            name = f"{scenario} requests ≤ {counted} + pages + 2 = {budget} (N={size})"
            found.append(_target(name, made, made <= budget, "requests"))
    return found


def text_cost_ms(sweep: dict[str, Any]) -> float | None:
    """Wall milliseconds an incremental cycle spends per new report reading its text: the
    cycle with texts against the same cycle without them, over the reports read."""
    if "incremental" not in sweep or "incremental_no_text" not in sweep:
        return None
    reports = max(sweep["incremental"]["server_requests"].get("report", 0), 1)
    extra = sweep["incremental"]["wall_s"] - sweep["incremental_no_text"]["wall_s"]
    return extra / reports * 1e3


def _target(name: str, measured: float, met: bool, unit: str) -> dict[str, Any]:
    return {"target": name, "measured": round(measured, 3), "unit": unit, "met": met}


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if "startup" in results:
        lines += startup.render(results["startup"])
    for size, sweep in results.get("sweeps", {}).items():
        lines += _sweep_table(size, sweep)
    if results.get("memory"):
        lines += ["", "Peak RSS of the monitor process (baseline sweep, SQLite)"]
        for size, figures in sorted(results["memory"].items(), key=lambda kv: int(kv[0])):
            lines.append(
                f"  N={int(size):<7} peak {figures['peak_rss_mb']:6.1f} MB"
                f"   after start-up {figures['rss_ready_mb']:6.1f} MB"
                f"   {figures['locations_per_s']:6.0f} loc/s"
            )
    if results.get("explicit_memory"):
        lines += ["", "Peak RSS: explicit [watch] locations list vs the register walk (SQLite)"]
        for size, figures in sorted(results["explicit_memory"].items(), key=lambda kv: int(kv[0])):
            cells = "   ".join(
                f"{step} {figures[step]['peak_rss_mb']:6.1f} MB"
                for step in ("explicit_baseline", "explicit_steady", "register_baseline")
            )
            lines.append(f"  N={int(size):<7} {cells}")
    lines += _processing_table(results.get("processing", {}))
    lines += _report_text_table(results)
    lines += _micro_table(results.get("micro", {}))
    lines += ["", "Targets"]
    for target in results.get("targets", []):
        mark = "met   " if target["met"] else "MISSED"
        lines.append(f"  [{mark}] {target['target']}: {target['measured']} {target['unit']}")
    return "\n".join(lines)


def _sweep_table(size: str, sweep: dict[str, Any]) -> list[str]:
    floor = floor_rate(sweep)
    lines = [
        "",
        f"Sweeps at N={size} (k={sweep['changed']} changed); floor {floor:.0f} loc/s, "
        f"client CPU {sweep['floor_before']['cpu_ms_per_request']:.2f} ms/request",
        f"  {'scenario':<18}{'wall s':>8}{'loc/s':>8}{'×floor':>8}{'CPU ms/loc':>11}"
        f"{'requests':>9}{'snaps':>7}{'events':>7}{'DB +bytes':>11}{'B/loc':>7}{'RSS MB':>8}",
    ]
    for scenario in SWEEP_ORDER:
        if scenario not in sweep:
            continue
        row = sweep[scenario]
        written = row["written"]
        lines.append(
            f"  {scenario:<18}{row['wall_s']:8.1f}{row['locations_per_s']:8.0f}"
            f"{row['locations_per_s'] / floor:8.2f}{row['cpu_ms_per_location']:11.2f}"
            f"{row['requests']:9d}{written['snapshots']:7d}{written['events']:7d}"
            f"{written['bytes']:11d}{row['db_bytes_per_location']:7.0f}{row['peak_rss_mb']:8.1f}"
        )
    for scenario in ("process_baseline", "process_steady"):
        if scenario in sweep:
            row = sweep[scenario]
            ratios = ", ".join(f"{ratio:.2f}" for ratio in row["floor_ratios"])
            lines.append(
                f"  {scenario:<18}{row['wall_s']:8.1f}{row['locations_per_s']:8.0f}"
                f"{row['floor_ratio']:8.2f}{'':>11}{row['requests']:9d}"
                f"{'':>32}{row['peak_rss_mb']:8.1f}   check --full, whole process;"
                f" median of {row['runs']} (× its own floor: {ratios})"
            )
    return lines


def _processing_table(processing: dict[str, Any]) -> list[str]:
    if not processing:
        return []
    lines = ["", f"Processing without HTTP (N={processing['size']}, SQLite), CPU per location"]
    without = processing.get("steps_without_shape_watch", {})
    lines.append(f"  {'step':<10} {'total':>9} {'shape watch':>13} {'share':>7} {'without it':>11}")
    for step, figures in processing["steps"].items():
        alone = without.get(step, {}).get("cpu_ms_per_location")
        lines.append(
            f"  {step:<10} {figures['cpu_ms_per_location']:6.3f} ms"
            f" {figures.get('shape_cpu_ms_per_location', 0.0):10.4f} ms"
            f" {figures.get('shape_share', 0.0):7.1%}"
            + (f" {alone:8.3f} ms" if alone is not None else "")
        )
    return lines


def _report_text_table(results: dict[str, Any]) -> list[str]:
    lines = []
    figures = results.get("report_text", {})
    if figures:
        parse, fetch = figures["parse_200kb"], figures["fetch_and_parse"]
        lines += [
            f"  read_findings, {parse['bytes'] / 1024:.0f} KB extract: CPU median"
            f" {parse['cpu_median_ms']:.1f} ms; wall median {parse['median_ms']:.1f} ms,"
            f" best {parse['best_ms']:.1f} ms",
            f"  fetch + parse, {fetch['bytes_per_report'] / 1024:.0f} KB text, simulator on"
            f" loopback: median {fetch['median_ms']:.1f} ms, p95 {fetch['p95_ms']:.1f} ms,"
            f" client CPU {fetch['cpu_ms_per_report']:.1f} ms per report",
        ]
    for size, sweep in results.get("sweeps", {}).items():
        cost = text_cost_ms(sweep)
        if cost is not None:
            lines.append(
                f"  incremental cycle at N={size}: {cost:+.1f} ms wall per new report read"
                " (against the same cycle without texts)"
            )
    return ["", "Report texts", *lines] if lines else []


def _micro_table(micro: dict[str, Any]) -> list[str]:
    if not micro:
        return []
    columns = (
        ("json_loads_us", "loads"),
        ("parse_us", "parse"),
        ("hash_us", "hash"),
        ("to_dict_us", "to_dict"),
        ("from_dict_us", "from_dict"),
        ("diff_identical_us", "diff=="),
        ("diff_changed_us", "diff≠"),
        ("raw_copy_us", "raw copy"),
        ("loads_parse_hash_us", "total"),
        ("shape_us", "shape"),
    )
    lines = ["", "Per document, µs (real API documents)"]
    lines.append(
        f"  {'document':<15}{'bytes':>7}" + "".join(f"{label:>10}" for _, label in columns)
    )
    for name, figures in micro.get("api_documents", {}).items():
        cells = "".join(f"{figures[key]:10.1f}" for key, _ in columns)
        lines.append(f"  {name:<15}{figures['bytes']:7.0f}{cells}")
    lines.append("  website pages (parse_location_page):")
    for name, figures in micro.get("web_pages", {}).items():
        lines.append(
            f"    {name:<14}{figures['bytes'] / 1024:7.1f} KB {figures['us_per_page']:9.1f} µs"
        )
    return lines
