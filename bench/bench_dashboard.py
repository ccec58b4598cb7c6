"""Dashboard page times with 20,000 watched locations and a year of events.

    python -m bench.bench_dashboard                       # N=20,000, 200 events a day, SQLite
    python -m bench.bench_dashboard --size 2000 --rounds 5
    python -m bench.bench_dashboard --database postgresql+psycopg://postgres@127.0.0.1/bench

Fills a database (``bench.dashboard_data``: every monitor table in a PostgreSQL database is
dropped first), serves it with the real dashboard on loopback (read-only engine, HTTP server,
Flask app) and times each page over HTTP: a warm-up request, then ``--rounds`` requests, of
which the median, 95th percentile and maximum are reported. ``--keep FILE`` keeps a SQLite
database between runs (it is filled only when it does not exist yet).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from bench.dashboard_data import fill
from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.tables import Base
from monitor.web.serve import DashboardServer, open_dashboard

ROOT = Path(__file__).resolve().parent.parent


def pages(facts: dict[str, Any]) -> list[tuple[str, str]]:
    busiest, typical, provider = (
        facts["busiest_location"],
        facts["typical_location"],
        facts["provider"],
    )
    return [
        ("overview", "/"),
        ("changes", "/changes"),
        ("changes, page 500", "/changes?page=500"),
        ("changes, critical ratings", "/changes?type=rating_changed&severity=critical"),
        ("changes, one month", "/changes?from=2026-06-01&to=2026-06-30"),
        ("changes, one provider", f"/changes?provider={provider}"),
        ("changes, one area", "/changes?area=Kent"),
        ("changes, name contains", "/changes?location=house"),
        ("changes.csv, 500 rows", "/changes.csv?size=500"),
        ("changes.json, 500 rows", "/changes.json?size=500"),
        ("locations", "/locations"),
        ("locations, by rating, page 200", "/locations?sort=rating&order=desc&page=200"),
        ("locations, search", "/locations?q=hospital"),
        ("locations, area and rating", "/locations?area=London&rating=Good"),
        ("locations, failing", "/locations?state=failing"),
        ("location, busiest", f"/locations/{busiest}"),
        ("location, typical", f"/locations/{typical}"),
        ("deliveries", "/deliveries"),
        ("deliveries, dead of a sink", "/deliveries/ops-email/dead"),
    ]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_dashboard")
    parser.add_argument("--size", type=int, default=20_000, help="watched locations")
    parser.add_argument("--events-per-day", type=int, default=200, help="over 365 days")
    parser.add_argument("--database", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--keep", type=Path, help="SQLite file kept between runs")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/dashboard.json")
    return parser.parse_args()


def _prepare(url: str, args: argparse.Namespace, facts_file: Path) -> dict[str, Any]:
    if facts_file.exists():
        facts: dict[str, Any] = json.loads(facts_file.read_text())
        return facts
    engine = make_engine(url)
    try:
        _empty(engine)
        started = time.perf_counter()
        facts = fill(engine, args.size, args.events_per_day)
        facts["fill_seconds"] = round(time.perf_counter() - started, 1)
        if engine.dialect.name == "postgresql":
            # Statistics, as autovacuum would have gathered over the year.
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    if args.keep:
        facts_file.write_text(json.dumps(facts))
    return facts


def _empty(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)


def measure(base: str, path: str, rounds: int) -> dict[str, Any]:
    session = requests.Session()
    session.trust_env = False
    first = session.get(base + path, timeout=60)
    first.raise_for_status()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        session.get(base + path, timeout=60).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "path": path,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "max_ms": round(times[-1], 1),
        "bytes": len(first.content),
    }


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="cqc-dashboard-bench-") as workdir:
        sqlite = args.keep or Path(workdir) / "dashboard.db"
        url = args.database or f"sqlite:///{sqlite}"
        facts_file = sqlite.with_suffix(".facts.json")
        if args.database and facts_file.exists():
            facts_file.unlink()
        facts = _prepare(url, args, facts_file)
        print(f"database: {url.split('@')[-1]}; {json.dumps(facts)}")
        dashboard = open_dashboard(url)
        server = DashboardServer("127.0.0.1", 0, dashboard).start()
        try:
            base = f"http://127.0.0.1:{server.port}"
            results = {name: measure(base, path, args.rounds) for name, path in pages(facts)}
        finally:
            server.stop()
            dashboard.close()
    _report(results, facts, url, args)


def _report(
    results: dict[str, dict[str, Any]], facts: dict[str, Any], url: str, args: argparse.Namespace
) -> None:
    print(f"\n{'page':34} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'KB':>7}")
    for name, row in results.items():
        kb = row["bytes"] / 1024
        print(f"{name:34} {row['median_ms']:>10} {row['p95_ms']:>8} {row['max_ms']:>8} {kb:>7.1f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    report = {"backend": backend, "rounds": args.rounds, "data": facts, "pages": results}
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nreport: {args.output}")


if __name__ == "__main__":
    main()
