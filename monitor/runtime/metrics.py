"""Prometheus metrics for ``run`` (SPEC §8), in a registry of their own.

Counters are kept in memory as cycles and deliveries happen; the backlog, last successful
cycle and data freshness are read from the database at scrape time, so they are right after
a restart and agree between replicas.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.errors import short_error
from monitor.services.cycle_report import CycleReport
from monitor.store.runstate import Figures

log = structlog.get_logger(__name__)

PREFIX = "cqc_monitor_"
_FETCH_OUTCOMES = {
    "baseline": "baselines",
    "changed": "changed",
    "unchanged": "unchanged",
    "error": "errors",
    "gone": "gone",
}
_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200)


class Metrics:
    def __init__(self, figures: Callable[[], Figures] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.cycles = Counter(
            PREFIX + "cycles",
            "Review cycles by kind and how they ended.",
            ["kind", "status"],
            registry=self.registry,
        )
        self.fetches = Counter(
            PREFIX + "fetches",
            "Location fetches by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            PREFIX + "events",
            "Change events detected, by type.",
            ["type"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            PREFIX + "deliveries",
            "Delivery attempts by sink and outcome (sent, failed, dead).",
            ["sink", "outcome"],
            registry=self.registry,
        )
        self.cycle_duration = Histogram(
            PREFIX + "cycle_duration_seconds",
            "How long review cycles take.",
            ["kind"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.progress = Gauge(
            PREFIX + "cycle_progress",
            "Locations done and expected (count=done|total) of the cycle of each kind running "
            "now; no total when the cycle cannot know it (a poll of the change feed).",
            ["kind", "count"],
            registry=self.registry,
        )
        if figures is not None:
            self.registry.register(DatabaseCollector(figures))

    def cycle_progress(self, kind: str, done: int | None, total: int | None) -> None:
        """``done`` None: the cycle ended, its series go (a gauge of no cycle would mislead)."""
        for count, value in (("done", done), ("total", total)):
            if value is None:
                self._remove_progress(kind, count)
            else:
                self.progress.labels(kind=kind, count=count).set(value)

    def _remove_progress(self, kind: str, count: str) -> None:
        with contextlib.suppress(KeyError):
            self.progress.remove(kind, count)

    def cycle_finished(
        self, kind: str, status: str, duration: float, report: CycleReport | None = None
    ) -> None:
        self.cycles.labels(kind=kind, status=status).inc()
        self.cycle_duration.labels(kind=kind).observe(duration)
        if report is None:
            return
        for outcome, attribute in _FETCH_OUTCOMES.items():
            count = getattr(report, attribute)
            if count:
                self.fetches.labels(outcome=outcome).inc(count)
        for event in report.events:
            self.events.labels(type=event.type).inc()

    def delivery_outcome(self, sink: str, outcome: str) -> None:
        self.deliveries.labels(sink=sink, outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Gauges computed from the database when Prometheus scrapes."""

    def __init__(
        self, figures: Callable[[], Figures], now: Callable[[], datetime] | None = None
    ) -> None:
        self.figures = figures
        self.now = now or (lambda: datetime.now(UTC))

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        try:
            figures = self.figures()
        except Exception as exc:  # a scrape must not fail because the database did
            log.warning("metrics_database_unavailable", error=short_error(exc))
            return []
        return list(self._families(figures))

    def _families(self, figures: Figures | None = None) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            PREFIX + "deliveries_pending", "Deliveries waiting to be sent (new or retrying)."
        )
        dead = GaugeMetricFamily(PREFIX + "deliveries_dead", "Deliveries that were given up.")
        last = GaugeMetricFamily(
            PREFIX + "last_successful_cycle_timestamp_seconds",
            "When the newest completed cycle of each kind finished (Unix time).",
            labels=["kind"],
        )
        freshness = GaugeMetricFamily(
            PREFIX + "data_freshness_seconds",
            "Seconds since the newest completed cycle finished.",
        )
        next_run = GaugeMetricFamily(
            PREFIX + "next_run_timestamp_seconds",
            "When each schedule runs next (Unix time), as the worker recorded it.",
            labels=["schedule"],
        )
        locations = GaugeMetricFamily(
            PREFIX + "locations",
            "Tracked locations by state: active, unbaselined (no snapshot yet), failing, gone.",
            labels=["state"],
        )
        source_changes = GaugeMetricFamily(
            PREFIX + "source_changes_unacknowledged",
            "Changes of CQC's document shape not acknowledged yet (cqc-monitor source ack).",
        )
        if figures is not None:
            for state, count in figures.locations.items():
                locations.add_metric([state], count)
            pending.add_metric([], figures.deliveries_pending)
            source_changes.add_metric([], figures.source_changes_unacknowledged)
            dead.add_metric([], figures.deliveries_dead)
            for kind, moment in sorted(figures.last_success.items()):
                last.add_metric([kind], moment.timestamp())
            for job, moment in sorted(figures.next_runs.items()):
                next_run.add_metric([job], moment.timestamp())
            if figures.last_success:
                newest = max(figures.last_success.values())
                freshness.add_metric([], max(0.0, (self.now() - newest).total_seconds()))
        yield from (pending, dead, last, freshness, locations, next_run, source_changes)
