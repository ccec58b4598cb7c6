"""Prometheus metrics for ``run`` (SPEC §8), in a registry of their own.

Counters are kept in memory as cycles and deliveries happen; the backlog, last successful
cycle, data freshness and every condition ``status`` calls attention to are read from the
database at scrape time (``store.figures``), so they are right after a restart and agree
between replicas. Readiness is the ``/readyz`` probe's answer, and the HTTP attempts to CQC
are the sources' own tally, both read at scrape time too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.errors import short_error
from monitor.services.cycle_report import CycleReport
from monitor.sources.attempts import AttemptTally
from monitor.store.figures import Figures

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


# A probe as /readyz asks it: (ready, details).
ReadyProbe = Callable[[], tuple[bool, Any]]


class Metrics:
    def __init__(
        self,
        figures: Callable[[], Figures] | None = None,
        *,
        ready: ReadyProbe | None = None,
        attempts: AttemptTally | None = None,
    ) -> None:
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
        if ready is not None:
            self.registry.register(ReadinessCollector(ready))
        if attempts is not None:
            self.registry.register(AttemptCollector(attempts))

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
        families = {
            name: GaugeMetricFamily(PREFIX + name, text, labels=labels)
            for name, (text, labels) in _DATABASE_GAUGES.items()
        }
        if figures is not None:
            _fill(families, figures, self.now())
        yield from families.values()


_DATABASE_GAUGES: dict[str, tuple[str, list[str]]] = {
    "deliveries_pending": ("Deliveries waiting to be sent (new or retrying).", []),
    "deliveries_dead": ("Deliveries that were given up.", []),
    "last_successful_cycle_timestamp_seconds": (
        "When the newest completed cycle of each kind finished (Unix time).",
        ["kind"],
    ),
    "data_freshness_seconds": ("Seconds since the newest completed cycle finished.", []),
    "locations": (
        "Tracked locations by state: active, unbaselined (no snapshot yet), failing, gone.",
        ["state"],
    ),
    "providers": (
        "Providers watched for their own ratings ([watch] providers: an NHS trust rated as a "
        "whole) by state: active, unbaselined, failing, gone.",
        ["state"],
    ),
    "next_run_timestamp_seconds": (
        "When each schedule runs next (Unix time), as the worker recorded it.",
        ["schedule"],
    ),
    "sink_deliveries": (
        "Deliveries of each sink waiting (pending, failed: to be retried) or given up (dead).",
        ["sink", "state"],
    ),
    "sink_disabled": (
        "1 for each sink a 410 Gone disabled, until `cqc-monitor sinks enable NAME`.",
        ["sink"],
    ),
    "cycle_lease_expired": (
        "Running cycles of each kind whose lease ran out: their replica died, froze or lost "
        "the database, and no replica has taken them over yet.",
        ["kind"],
    ),
    "last_cycle_failed": ("1 when the newest cycle of the kind failed, else 0.", ["kind"]),
    "source_changes_unacknowledged": (
        "Changes of CQC's document shape not acknowledged yet (cqc-monitor source ack).",
        [],
    ),
    "deliveries_held": (
        "Deliveries of each sink held for its digest window (`digest` in [[sinks]]).",
        ["sink"],
    ),
    "digest_window_timestamp_seconds": (
        "The earliest digest window a sink's held deliveries wait for (Unix time); long past, "
        "nothing is sending the digest. No series while the sink holds nothing.",
        ["sink"],
    ),
}


def _fill(families: dict[str, GaugeMetricFamily], figures: Figures, now: datetime) -> None:
    for state, count in figures.locations.items():
        families["locations"].add_metric([state], count)
    for state, count in figures.providers.items():
        families["providers"].add_metric([state], count)
    families["deliveries_pending"].add_metric([], figures.deliveries_pending)
    families["deliveries_dead"].add_metric([], figures.deliveries_dead)
    for kind, moment in sorted(figures.last_success.items()):
        families["last_successful_cycle_timestamp_seconds"].add_metric([kind], moment.timestamp())
    for job, moment in sorted(figures.next_runs.items()):
        families["next_run_timestamp_seconds"].add_metric([job], moment.timestamp())
    if figures.last_success:
        newest = max(figures.last_success.values())
        age = max(0.0, (now - newest).total_seconds())
        families["data_freshness_seconds"].add_metric([], age)
    for sink, states in figures.deliveries.items():
        for state, count in states.items():
            families["sink_deliveries"].add_metric([sink, state], count)
    for sink in figures.disabled_sinks:
        families["sink_disabled"].add_metric([sink], 1)
    for kind, count in sorted(figures.lease_expired.items()):
        families["cycle_lease_expired"].add_metric([kind], count)
    for kind, failed in sorted(figures.last_failed.items()):
        families["last_cycle_failed"].add_metric([kind], 1 if failed else 0)
    families["source_changes_unacknowledged"].add_metric([], figures.source_changes_unacknowledged)
    for sink, count in sorted(figures.deliveries_held.items()):
        families["deliveries_held"].add_metric([sink], count)
    for sink, window in sorted(figures.held_windows.items()):
        families["digest_window_timestamp_seconds"].add_metric([sink], window.timestamp())


class ReadinessCollector(Collector):
    """``cqc_monitor_ready``: the answer ``/readyz`` would give now, as 1 or 0."""

    def __init__(self, probe: ReadyProbe) -> None:
        self.probe = probe

    def describe(self) -> Iterable[Metric]:
        return [self._family()]  # without asking the probe: the registry describes at once

    def collect(self) -> Iterable[Metric]:
        try:
            ready, _ = self.probe()
        except Exception as exc:  # a probe that breaks is a worker that is not ready
            log.warning("metrics_readiness_failed", error=short_error(exc))
            ready = False
        family = self._family()
        family.add_metric([], 1 if ready else 0)
        return [family]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            PREFIX + "ready",
            "1 while /readyz answers ready (database reachable, schema at head), else 0.",
        )


class AttemptCollector(Collector):
    """``cqc_monitor_http_requests_total``: this process's HTTP attempts to CQC by outcome."""

    def __init__(self, attempts: AttemptTally) -> None:
        self.attempts = attempts

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        for (source, outcome), count in sorted(self.attempts.counts().items()):
            family.add_metric([source, outcome], count)
        return [family]

    @staticmethod
    def _family() -> CounterMetricFamily:
        return CounterMetricFamily(
            PREFIX + "http_requests",
            "HTTP attempts to CQC by source (api, web) and outcome (ok, not_found, "
            "rate_limited, server_error, network, refused, client_error, too_large); each "
            "retry is an attempt.",
            labels=["source", "outcome"],
        )
