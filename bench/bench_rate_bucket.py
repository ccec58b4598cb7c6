"""The shared request rate on PostgreSQL: what one reservation costs, and how many one bucket
can hand out.

    python -m bench.bench_rate_bucket                      # $MONITOR_BENCH_DATABASE_URL, or
    python -m bench.bench_rate_bucket --database postgresql+psycopg://postgres@127.0.0.1/bench

Every monitor table in the database is dropped first. Three figures:

- **round trip**: one thread reserving slots of a bucket whose rate never makes it wait, so
  each acquisition is one statement and nothing else (median and 95th percentile);
- **ceiling**: ``--processes`` processes of ``--threads`` threads each doing the same for
  ``--seconds``: the most reservations a second one bucket sustains (every reservation in a
  deployment updates the same row, so they queue on its lock);
- **paced**: the same processes and threads held to ``--rate``: the rate they really got.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.rate_buckets import POOL_SIZE, RateBuckets
from monitor.store.tables import Base

ROOT = Path(__file__).resolve().parent.parent
UNPACED = 1_000_000.0  # a microsecond apart: the bucket never makes anyone wait


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_rate_bucket")
    parser.add_argument("--database", default=_database_from_env(), help="PostgreSQL URL")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="per process")
    parser.add_argument("--seconds", type=float, default=5.0, help="of the ceiling run")
    parser.add_argument("--rate", type=float, default=200.0, help="of the paced run")
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--pool-size", type=int, default=POOL_SIZE, help="per process")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/rate_bucket.json")
    parser.add_argument(
        "--worker", nargs=3, metavar=("RATE", "SECONDS", "COUNT"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _database_from_env() -> str | None:
    return os.environ.get("MONITOR_BENCH_DATABASE_URL") or os.environ.get(
        "MONITOR_TEST_DATABASE_URL"
    )


def round_trips(url: str, count: int, pool_size: int) -> dict[str, float]:
    buckets = RateBuckets(url, pool_size=pool_size)
    try:
        limiter = buckets.limiter("bench-round-trip", UNPACED, fallback=_no_fallback)
        for _ in range(100):  # connect, and let the server prepare the statement
            limiter.acquire()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            limiter.acquire()
            times.append((time.perf_counter() - started) * 1e6)
    finally:
        buckets.close()
    times.sort()
    return {
        "acquisitions": count,
        "median_us": round(statistics.median(times)),
        "p95_us": round(times[round(0.95 * (len(times) - 1))]),
    }


def across_processes(
    args: argparse.Namespace, rate: float, seconds: float, count: int
) -> dict[str, Any]:
    """``--processes`` workers, started together, each acquiring on ``--threads`` threads."""
    worker = [sys.executable, "-m", "bench.bench_rate_bucket", "--database", args.database]
    worker += ["--pool-size", str(args.pool_size), "--threads", str(args.threads)]
    worker += ["--worker", str(rate), str(seconds), str(count)]
    processes = [
        subprocess.Popen(worker, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(args.processes)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    reports = [json.loads(process.communicate(timeout=600)[0]) for process in processes]
    started = min(report["started"] for report in reports)
    ended = max(report["ended"] for report in reports)
    total = sum(report["acquisitions"] for report in reports)
    return {
        "processes": args.processes,
        "threads_per_process": args.threads,
        "acquisitions": total,
        "seconds": round(ended - started, 3),
        # N reservations span N - 1 intervals: the first goes at once.
        "per_second": round((total - 1) / (ended - started), 1),
        "fallbacks": sum(report["fallbacks"] for report in reports),
    }


def worker(args: argparse.Namespace) -> None:
    """One process of :func:`across_processes`: acquire until ``SECONDS`` pass (0: no limit)
    or ``COUNT`` acquisitions are made per thread (0: no limit); report on stdout."""
    rate, seconds, count = float(args.worker[0]), float(args.worker[1]), int(args.worker[2])
    buckets = RateBuckets(args.database, pool_size=args.pool_size)
    fallbacks: list[None] = []
    limiter = buckets.limiter("bench", rate, fallback=lambda: fallbacks.append(None))
    with buckets.engine.connect():
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    done = [0] * args.threads
    started = time.time()
    deadline = started + seconds if seconds else float("inf")

    def acquire(index: int) -> None:
        while time.time() < deadline and (not count or done[index] < count):
            limiter.acquire()
            done[index] += 1

    threads = [threading.Thread(target=acquire, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.time()
    buckets.close()
    report = {"started": started, "ended": ended, "acquisitions": sum(done)}
    print(json.dumps({**report, "fallbacks": len(fallbacks)}))


def _empty(url: str) -> None:
    engine: Engine = make_engine(url)
    try:
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(engine)
    finally:
        engine.dispose()


def _no_fallback() -> None:
    raise SystemExit("the database could not pace a reservation: the figures would be wrong")


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if not args.database:
        raise SystemExit("give --database or set MONITOR_BENCH_DATABASE_URL (PostgreSQL)")
    if args.worker:
        worker(args)
        return
    _empty(args.database)
    each = round(args.rate * args.seconds / (args.processes * args.threads))
    results = {
        "database": args.database.split("@")[-1],
        "pool_size_per_process": args.pool_size,
        "round_trip": round_trips(args.database, args.round_trips, args.pool_size),
        "ceiling": across_processes(args, UNPACED, args.seconds, 0),
        "paced": {"configured_per_second": args.rate} | across_processes(args, args.rate, 0, each),
    }
    _report(results, args.output)


def _report(results: dict[str, Any], output: Path) -> None:
    trip, ceiling, paced = results["round_trip"], results["ceiling"], results["paced"]
    shape = f"{ceiling['processes']} processes × {ceiling['threads_per_process']} threads"
    print(f"database {results['database']}, {results['pool_size_per_process']} connections each")
    print(f"round trip, one thread: median {trip['median_us']} µs, p95 {trip['p95_us']} µs")
    print(f"ceiling, {shape}: {ceiling['per_second']} reservations/s")
    print(
        f"paced at {paced['configured_per_second']}/s, {shape}: {paced['per_second']}/s "
        f"({paced['acquisitions']} in {paced['seconds']} s)"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"report: {output}")


if __name__ == "__main__":
    main()
