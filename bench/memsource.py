"""Processing cost without HTTP: review cycles over documents already in memory.

``MemorySource`` is a ``LocationSource`` serving the simulator's pre-rendered JSON bodies
straight from a dict, so a cycle's CPU time is what the monitor spends per location once a
body has arrived: JSON parse, normalise, hash, diff, decide and store (SQLite). Runs inside
the worker process (:mod:`bench.worker`), never inside the benchmark driver.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from bench.probes import GcClock, cpu_seconds, settings_data
from monitor.sim import Population, SimulatedCqc
from monitor.sources.base import FetchResult


class MemorySource:
    """The simulator's register as a ``LocationSource``, minus the network."""

    def __init__(self, sim: SimulatedCqc) -> None:
        self.sim = sim
        sim.prerender()
        self.bodies = {i: sim.population.body(i) for i in sim.population.ids()}

    def refresh(self, location_ids: list[str]) -> None:
        """Pick up changed documents (rendered here, outside any timed cycle)."""
        self.sim.prerender(location_ids)
        self.bodies.update((i, self.sim.population.body(i)) for i in location_ids)

    def fetch_location(self, location_id: str) -> FetchResult:
        body = self.bodies.get(location_id)
        url = f"memory://locations/{location_id}"
        if body is None:
            return FetchResult("gone", url, http_status=404, error="not found")
        return FetchResult("ok", url, 200, 0.0, len(body), body=body, data=json.loads(body))

    def provider_location_ids(self, provider_id: str) -> list[str]:
        return self.sim.population.provider_location_ids(provider_id)

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        ids = list(self.sim.population.ids())
        if on_total is not None:
            on_total(len(ids))
        yield from ids

    def iter_changes(
        self, start: datetime, end: datetime, on_total: Callable[[int], None] | None = None
    ) -> Iterator[str]:
        yield from self.sim.feed.between(start, end)

    def close(self) -> None:
        self.bodies.clear()


def processing(spec: dict[str, Any]) -> dict[str, Any]:
    """CPU per location of a baseline, a steady and a 1%-changed full review, and the share of
    it the shape watch spent (``"shape_watch": false`` runs the cycles without it)."""
    from monitor.bootstrap import build_app
    from monitor.logs import configure_logging
    from monitor.settings.model import settings_from_dict

    configure_logging("warning", "json")
    population = Population.generate(spec["size"], seed=spec.get("seed", 0))
    sim = SimulatedCqc(population)
    source = MemorySource(sim)
    app = build_app(settings_from_dict(settings_data(spec)), api=source)
    if not spec.get("shape_watch", True):
        app.shapes = None
    results: dict[str, Any] = {}
    try:
        app.prepare_database()
        for step in ("baseline", "steady", "changed"):
            if step == "changed":
                source.refresh(_change(sim, spec["changed"]))
            results[step] = _timed_cycle(app)
    finally:
        app.close()
    return results


def _timed_cycle(app: Any) -> dict[str, Any]:
    collector = GcClock()
    shape = app.shapes.cpu_seconds if app.shapes else 0.0
    cpu, wall = cpu_seconds(), time.perf_counter()
    report = app.review().run("full")
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    collector.stop()
    shape = (app.shapes.cpu_seconds if app.shapes else 0.0) - shape
    counts = report.counts()
    locations = max(counts["locations"], 1)
    result = {
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_ms_per_location": cpu / locations * 1e3,
        # The shape watch's own CPU time (its reads, tallies and writes), and its share.
        "shape_cpu_ms_per_location": shape / locations * 1e3,
        "shape_share": shape / cpu if cpu else 0.0,
    }
    return {**result, "cycle": counts, **collector.figures()}


def _change(sim: SimulatedCqc, count: int) -> list[str]:
    ids = list(sim.population.ids())[1 : count + 1]
    for location_id in ids:
        sim.set_rating(location_id, "Overall", "Inadequate", report_date=date.today())
    return ids
