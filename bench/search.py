"""``python -m bench.search``: resolving a saved search that matches 10,000 locations.

    python -m bench.search                      # 10,000 locations, all matching
    python -m bench.search --size 2000 --no-cycle --output search.json

The simulator (its own process, every body rendered first) serves a register of ``--size``
locations; the search ``inspectionDirectorate = ["Hospitals", "Adult social care"]`` matches
every one of them, as one query with the parameter repeated. Measured:

- **stream**: the API client's ``iter_search`` consumed id by id in this process: pages
  requested, when each was requested (lazily: the first before the first id), wall time and
  the peak of Python memory traced while streaming, against what holding every id would
  take. Run twice: *cold* includes the simulator building its filtered list on the first page
  (a cost of the simulator, not of the monitor), *warm* is the client and HTTP alone.
- **cycle**: the first full review of a watchlist made of that search alone, in a fresh
  monitor process (``bench.worker``): requests, time, peak RSS, locations baselined; the next
  full review (every match now a watched member); and, for comparison, the same first full
  review with ``[watch] all = true`` (the register walked).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.measure import ROOT, fresh_database, run_module
from bench.simproc import SUBSCRIPTION_KEY, SimProcess
from bench.sweeps import add_server_side
from monitor.sources.api_client import CqcApiClient
from monitor.sources.http import HttpGetter, HttpResponse

FILTERS = {"inspectionDirectorate": ["Hospitals", "Adult social care"]}
SEARCH = {"name": "everything-by-directorate", **FILTERS}


class _CountingGetter:
    """The client's requests, counted outside it (it keeps no counter of its own)."""

    def __init__(self, inner: HttpGetter) -> None:
        self.inner = inner
        self.count = 0

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        self.count += 1
        return self.inner.get(url, **kwargs)

    def close(self) -> None:
        self.inner.close()


def stream(base_url: str) -> dict[str, Any]:
    """Consume one search id by id; what it cost, and when each page was asked for."""
    getter = _CountingGetter(HttpGetter())
    client = CqcApiClient(getter, base_url=base_url, subscription_key=SUBSCRIPTION_KEY)
    try:
        tracemalloc.start()
        started = time.perf_counter()
        count, asked_at = 0, []
        for _ in client.iter_search(FILTERS):
            count += 1
            if getter.count > len(asked_at):
                asked_at.append(count)  # the id whose reading needed a new page
        wall = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        held = _held_bytes(list(client.iter_search(FILTERS)))
    finally:
        client.getter.close()
    return {
        "locations": count,
        "pages": len(asked_at),
        "page_asked_at_id": asked_at,
        "wall_s": wall,
        "peak_traced_mb": peak / 2**20,
        "all_ids_held_mb": held / 2**20,
    }


def cycle(
    sim: SimProcess, workdir: Path, name: str, watch: dict[str, Any], *, fresh: bool = True
) -> dict[str, Any]:
    """A full review into SQLite (an empty database when ``fresh``), in a process of its own;
    its requests as the simulator counted them."""
    database_url = f"sqlite:///{workdir / f'{name}.db'}"
    if fresh:
        fresh_database(database_url)
    spec = {
        "database_url": database_url,
        "base_url": sim.base_url,
        "subscription_key": SUBSCRIPTION_KEY,
        "kind": "full",
        "concurrency": 4,
        "watch": watch,
    }
    before = sim.stats()
    result = run_module("bench.worker", spec, workdir / f"{name}.log")
    add_server_side(result, before, sim.stats(), result["cycle"]["locations"])
    result["requests"] = sum(result["server_requests"].values())
    return result


def _held_bytes(ids: list[str]) -> int:
    return sys.getsizeof(ids) + sum(sys.getsizeof(i) for i in ids)


def run(size: int, with_cycle: bool, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"size": size, "filters": FILTERS}
    with SimProcess(size) as sim:
        results["stream_cold"] = stream(sim.base_url)
        results["stream_warm"] = stream(sim.base_url)
        if with_cycle:
            watch = {"search": [SEARCH]}
            results["cycle"] = cycle(sim, workdir, "search", watch)
            results["steady_cycle"] = cycle(sim, workdir, "search", watch, fresh=False)
            results["register_cycle"] = cycle(sim, workdir, "register", {"all": True})
    return results


def render(results: dict[str, Any]) -> str:
    lines = [f"Resolving a search of {results['size']:,} matching locations"]
    for name in ("stream_cold", "stream_warm"):
        s = results[name]
        lines.append(
            f"  {name:<12} {s['locations']:>7,} ids  {s['pages']:>3} pages "
            f"(asked at ids {s['page_asked_at_id'][:3]}…)  {s['wall_s']:6.2f} s  "
            f"peak traced {s['peak_traced_mb']:.2f} MB "
            f"(all ids held: {s['all_ids_held_mb']:.2f} MB)"
        )
    cycles = (
        ("cycle", "by the search"),
        ("steady_cycle", "next one (members watched)"),
        ("register_cycle", "register walk"),
    )
    for name, label in cycles:
        if name in results:
            c = results[name]
            lines.append(
                f"  full review, {label}: {c['requests']:,} requests, {c['wall_s']:.1f} s, "
                f"peak RSS {c['peak_rss_mb']:.1f} MB (ready {c['rss_ready_mb']:.1f} MB), "
                f"{c['cycle']['baselines']:,} baselined, {c['cycle']['unchanged']:,} unchanged, "
                f"{c['cycle']['events']} events"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", type=int, default=10_000, help="locations, all matching")
    parser.add_argument("--no-cycle", action="store_true", help="only stream the search")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "search.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cqc-bench-search-") as folder:
        results = run(args.size, not args.no_cycle, Path(folder))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\nReport written to {args.output}")


if __name__ == "__main__":
    main()
