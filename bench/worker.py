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

import json
import sys
import time
from typing import Any

from bench.memsource import processing
from bench.probes import GcClock, cpu_seconds, peak_rss_mb, rss_mb, settings_data


def sweep(spec: dict[str, Any]) -> dict[str, Any]:
    """One cycle over HTTP against the simulator; figures cover the cycle only."""
    from monitor.bootstrap import build_app
    from monitor.logs import configure_logging
    from monitor.settings.model import settings_from_dict

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
    finally:
        app.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_ready_mb": ready_rss,
        "peak_rss_mb": peak_rss_mb(),
        "cycle": report.counts(),
        **gc_figures,
    }


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    result = processing(spec) if spec.get("source") == "memory" else sweep(spec)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
