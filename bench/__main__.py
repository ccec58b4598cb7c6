"""``python -m bench [--quick]``: run the benchmark suite, write a JSON report, print tables.

    python -m bench --quick          # make bench: command-line start-up; sweeps at N=2,000;
                                     # memory at 2,000 and 50,000; an explicit watchlist of
                                     # 20,000 ids
    python -m bench                  # make bench-full: sweeps at N=2,000 and 20,000 too
    python -m bench --sizes 5000 --memory-sizes 5000 --no-micro

PostgreSQL sweeps run when --postgres-url, $MONITOR_BENCH_DATABASE_URL or
$MONITOR_TEST_DATABASE_URL names a database; every monitor table in it is dropped first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, startup
from bench.measure import ROOT, run_module
from bench.sweeps import SweepPlan, run_baseline, run_explicit_memory, run_sweeps


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=2,000 only (make bench)")
    parser.add_argument("--sizes", type=int, nargs="+", help="sweep sizes (full: 2000 20000)")
    parser.add_argument(
        "--memory-sizes", type=int, nargs="*", default=[2000, 50000], help="RSS sizes"
    )
    parser.add_argument(
        "--explicit-sizes",
        type=int,
        nargs="*",
        help="explicit [watch] locations list sizes for RSS (quick: 20000; full: 20000 50000)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="fetch threads (4)")
    parser.add_argument("--processing-size", type=int, help="N of the no-HTTP cycles")
    parser.add_argument(
        "--processing-runs", type=int, default=3, help="no-HTTP runs, best reported (3)"
    )
    parser.add_argument(
        "--process-runs",
        type=int,
        default=3,
        help="whole `check --full` processes per sweep, baseline and steady (3; 0: none)",
    )
    parser.add_argument("--postgres-url", default=_postgres_from_env())
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-micro", action="store_true", help="skip per-document figures")
    parser.add_argument(
        "--startup-runs", type=int, default=7, help="runs of each command's start-up (7; 0: none)"
    )
    parser.add_argument("--output", type=Path, help="JSON report (bench/results/<mode>.json)")
    parser.add_argument("--workdir", type=Path, help="databases and logs (a temporary folder)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    args.sizes = args.sizes or ([2000] if args.quick else [2000, 20000])
    if args.explicit_sizes is None:
        args.explicit_sizes = [20000] if args.quick else [20000, 50000]
    args.processing_size = args.processing_size or args.sizes[0]
    args.output = args.output or ROOT / "bench" / "results" / f"{mode}.json"
    if args.no_postgres:
        args.postgres_url = None
    return args


def _postgres_from_env() -> str | None:
    return os.environ.get("MONITOR_BENCH_DATABASE_URL") or os.environ.get(
        "MONITOR_TEST_DATABASE_URL"
    )


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": report.machine(),
        "options": {"concurrency": args.concurrency, "sizes": args.sizes},
    }
    started = time.monotonic()
    if args.startup_runs:
        _say("Command-line start-up")
        results["startup"] = startup.run(args.startup_runs)
    if not args.no_micro:
        _say("Per-document figures")
        from bench import micro

        results["micro"] = micro.run()
        _say("Report texts: parse, fetch + parse")
        from bench import bench_report_text

        results["report_text"] = bench_report_text.run()
    _say(f"Processing without HTTP, N={args.processing_size}")
    results["processing"] = _processing(args, workdir)
    results["sweeps"] = {}
    for size in args.sizes:
        _say(f"Sweeps at N={size}")
        plan = SweepPlan(
            size,
            args.concurrency,
            workdir / f"sweep-{size}",
            args.postgres_url,
            process_runs=args.process_runs,
        )
        results["sweeps"][str(size)] = run_sweeps(plan, progress=_say)
    results["memory"] = _memory(args, workdir, results["sweeps"])
    results["explicit_memory"] = {
        str(size): run_explicit_memory(size, args.concurrency, workdir / f"explicit-{size}", _say)
        for size in args.explicit_sizes
    }
    results["targets"] = report.targets(results)
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    return results


def _processing(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The no-HTTP cycles, several times over: the best run of each step is reported,
    since on a shared machine noise only ever adds CPU time (as timeit reports its best)."""
    size = args.processing_size
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for run_number in range(args.processing_runs):
        for shape_watch in (True, False):  # interleaved: the machine's load hits both alike
            label = "" if shape_watch else "-without-shape-watch"
            spec = {
                "source": "memory",
                "size": size,
                "changed": max(1, round(size * 0.01)),
                "database_url": f"sqlite:///{workdir / f'processing-{run_number}{label}.db'}",
                "concurrency": args.concurrency,
                "shape_watch": shape_watch,
            }
            runs[shape_watch].append(run_module("bench.worker", spec))
    best, every = _best(runs[True])
    without, _ = _best(runs[False])
    return {
        "size": size,
        "steps": best,
        "runs_ms_per_location": every,
        "steps_without_shape_watch": without,
    }


def _best(runs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, list[float]]]:
    best = {
        step: min((run[step] for run in runs), key=lambda r: r["cpu_ms_per_location"])
        for step in runs[0]
    }
    every = {step: [run[step]["cpu_ms_per_location"] for run in runs] for step in runs[0]}
    return best, every


def _memory(
    args: argparse.Namespace, workdir: Path, sweeps: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    memory: dict[str, dict[str, Any]] = {}
    for size in args.memory_sizes:
        if str(size) in sweeps:
            memory[str(size)] = sweeps[str(size)]["baseline"]
            continue
        _say(f"Memory: baseline sweep at N={size}")
        memory[str(size)] = run_baseline(size, args.concurrency, workdir / f"memory-{size}", _say)
    return memory


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.workdir:
        results = run(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="cqc-bench-") as folder:
            results = run(args, Path(folder))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report.render(results))
    print(f"\nReport written to {args.output}")


if __name__ == "__main__":
    main()
