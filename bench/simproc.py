"""The simulated CQC API in a process of its own, driven over a pipe.

The simulator must share neither a process nor a GIL with the monitor or the floor client,
or their CPU and memory figures would include its work. Every API body is rendered before
serving starts, so a request costs the simulator only its HTTP handling.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from datetime import date
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

SUBSCRIPTION_KEY = "bench-key"


class SimProcess:
    """``with SimProcess(size) as sim:`` → ``sim.base_url``, ``sim.ids``, ``sim.change(k)``."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.seed = seed
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, size, seed), name="cqc-sim", daemon=True
        )
        self.base_url = ""
        self.ids: list[str] = []
        self.rendered_bytes = 0

    def start(self) -> SimProcess:
        self._process.start()
        try:
            hello = self._conn.recv()
        except EOFError:
            self._process.join(5)
            raise RuntimeError(
                f"the simulator process exited with {self._process.exitcode} before serving"
            ) from None
        self.base_url, self.ids = hello["base_url"], hello["ids"]
        self.rendered_bytes = hello["rendered_bytes"]
        return self

    def change(self, count: int) -> list[str]:
        """Publish a new report with a different Overall rating at ``count`` locations.

        Each call picks locations no earlier call changed; returns their ids.
        """
        changed: list[str] = self._call("change", count)
        return changed

    def report_texts(self, count: int, size: int) -> list[str]:
        """``count`` locations' newest reports serve a text of ``size`` bytes (the simulator's
        PDF layout of the real excerpts); returns their ``reportUri`` values."""
        uris: list[str] = self._call("texts", count, size)
        return uris

    def stats(self) -> dict[str, Any]:
        """Requests answered so far ({kind: count}) and the simulator's CPU seconds."""
        stats: dict[str, Any] = self._call("stats")
        return stats

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", ()))
            self._process.join(10)
        if self._process.is_alive():  # a wedged simulator must not outlive the benchmark
            self._process.kill()
            self._process.join()

    def _call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return self._conn.recv()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _serve(conn: Connection, size: int, seed: int) -> None:
    from monitor.sim import Population, SimulatedCqc

    population = Population.generate(size, seed=seed)
    sim = SimulatedCqc(population, subscription_key=SUBSCRIPTION_KEY)
    rendered = sim.prerender()
    changes = _Changes(sim, list(population.ids()), seed)
    with sim.serve("127.0.0.1", 0) as server:
        hello = {"base_url": server.base_url, "ids": changes.ids, "rendered_bytes": rendered}
        conn.send(hello)
        while True:
            command, args = conn.recv()
            if command == "stop":
                return
            if command == "change":
                conn.send(changes.make(*args))
            elif command == "texts":
                conn.send(_texts(sim, changes.ids, *args))
            elif command == "stats":
                counts = {kind: sum(by.values()) for kind, by in sim.stats.snapshot().items()}
                conn.send({"requests": counts, "cpu_s": time.process_time()})


def _texts(sim: Any, ids: list[str], count: int, size: int) -> list[str]:
    from bench.report_extract import extract

    uris = []
    for location_id in ids:
        reports = sim.document(location_id).get("reports") or []
        if reports and "reportUri" in reports[0]:
            sim.set_report_text(reports[0]["linkId"], text=extract(size))
            uris.append(reports[0]["reportUri"])
        if len(uris) == count:
            break
    return uris


class _Changes:
    """Rating changes at locations taken from a seeded shuffle, never the same one twice."""

    def __init__(self, sim: Any, ids: list[str], seed: int) -> None:
        self.sim = sim
        self.ids = ids
        self._order = random.Random(seed + 1).sample(range(len(ids)), len(ids))
        self._next = 0

    def make(self, count: int) -> list[str]:
        picked = [self.ids[i] for i in self._order[self._next : self._next + count]]
        self._next += len(picked)
        today = date.today().isoformat()
        for location_id in picked:
            overall = self.sim.document(location_id).get("currentRatings", {}).get("overall", {})
            current = overall.get("rating")
            rating = "Requires improvement" if current != "Requires improvement" else "Good"
            self.sim.set_rating(location_id, "Overall", rating, report_date=today)
        self.sim.prerender(picked)  # render now, not while the monitor is being timed
        return picked
