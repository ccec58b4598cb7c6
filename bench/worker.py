"""The monitor process of one benchmark sweep: ``python -m bench.worker '<json spec>'``.

Runs the review cycle of ``cqc-monitor check`` (same composition root, same settings; no
alert delivery), in a process of its own so that its CPU time and peak RSS are the monitor's,
then prints one JSON line of measurements. Spec keys: ``database_url``, ``base_url``,
``subscription_key``, ``kind`` (full | incremental), ``concurrency``.

With ``"source": "memory"`` it instead runs several cycles against pre-rendered documents
held in this process (no HTTP at all), to measure the processing cost alone: JSON parse,
normalise, hash, diff and store (see :mod:`bench.memsource`).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from typing import Any


class GcClock:
    """CPU seconds spent in the cyclic garbage collector, and passes per generation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.passes = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
            return
        self.seconds += time.process_time() - self._started
        self.passes[info["generation"]] += 1

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)

    def figures(self) -> dict[str, Any]:
        return {
            "gc_s": self.seconds,
            "gc_passes": list(self.passes),
            "objects": len(gc.get_objects()),
        }


def cpu_seconds() -> float:
    """User and system CPU time of this process, every thread (os.times ticks only 10 ms)."""
    return time.process_time()


def rss_mb() -> float:
    """Current resident set size, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def settings_data(spec: dict[str, Any]) -> dict[str, Any]:
    """Production settings, but unthrottled: the benchmark measures the client, not the limit."""
    return {
        "database": {"url": spec["database_url"]},
        "sources": {
            "cqc_api": {
                "base_url": spec.get("base_url", "http://127.0.0.1:9/public/v1"),
                "subscription_key": spec.get("subscription_key", "bench-key"),
                "requests_per_second": 0,
                "concurrency": spec.get("concurrency", 4),
                # The sweeps change locations minutes apart; with the production overlap the
                # incremental sweep would also re-read the previous sweep's changes, and k
                # (changed since the last poll) would no longer be what is measured.
                "change_feed_overlap_minutes": 0,
            }
        },
        "watch": spec.get("watch", {"all": True}),
        "logging": {"level": "info", "format": "json"},
    }


def sweep(spec: dict[str, Any]) -> dict[str, Any]:
    """One cycle over HTTP against the simulator; figures cover the cycle only."""
    from monitor.bootstrap import build_app
    from monitor.logs import configure_logging
    from monitor.settings import settings_from_dict

    configure_logging("info", "json", stream=sys.stderr)
    app = build_app(settings_from_dict(settings_data(spec)))
    try:
        app.prepare_database()
        ready_rss = rss_mb()
        collector = GcClock()
        cpu, wall = cpu_seconds(), time.perf_counter()
        report = app.review().run(spec["kind"])
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        gc_figures = collector.figures()
        requests = getattr(app.api, "requests_made", 0)
    finally:
        app.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "requests": requests,
        "rss_ready_mb": ready_rss,
        "peak_rss_mb": peak_rss_mb(),
        "cycle": report.counts(),
        **gc_figures,
    }


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    if spec.get("source") == "memory":
        from bench.memsource import processing

        result = processing(spec)
    else:
        result = sweep(spec)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
