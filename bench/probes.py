"""What a benchmark process measures of itself: CPU, RSS, the garbage collector; and the
settings every monitor process of the benchmark runs with."""

from __future__ import annotations

import gc
import os
import resource
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
            },
            # Each new report's text is read in its cycle; a sweep may leave them unread to
            # measure what reading them adds.
            "report_text": {"enabled": spec.get("report_text", True)},
        },
        "watch": _watch(spec),
        "logging": {"level": "info", "format": "json"},
    }


def _watch(spec: dict[str, Any]) -> dict[str, Any]:
    """The register walk by default; the spec's own ``watch`` table (saved searches); an
    explicit ``[watch] locations`` list when it names a file of ids (the memory figures)."""
    if "watch" in spec:
        watch: dict[str, Any] = spec["watch"]
        return watch
    ids_file = spec.get("locations_file")
    if not ids_file:
        return {"all": True}
    with open(ids_file, encoding="ascii") as ids:
        return {"locations": ids.read().split()}
