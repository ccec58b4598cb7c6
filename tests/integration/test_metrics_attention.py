"""Every condition ``cqc-monitor status`` calls attention to is a figure ``/metrics`` exports,
read from the database at scrape time: the alert rules of deploy/prometheus watch these.
Real database (SQLite and PostgreSQL), real metrics registry, the text Prometheus reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from monitor.bootstrap import App
from monitor.runtime.health import DatabaseProbe
from monitor.runtime.metrics import Metrics
from monitor.sim import Population, SimulatedCqc
from monitor.store import cycles, runstate
from monitor.store.engine import make_engine
from monitor.store.figures import Figures, read_figures
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

LEASE = timedelta(seconds=60)
EXPIRED = timedelta(seconds=-1)  # a lease that has already run out, in database time


def figures_of(app: App) -> Callable[[], Figures]:
    def figures() -> Figures:  # as the worker reads them
        with app.sessions() as session:
            return read_figures(session, sinks=app.sinks)

    return figures


def scrape(metrics: Metrics) -> set[str]:
    return set(metrics.render().decode().splitlines())


def series(lines: set[str], name: str) -> list[str]:
    return sorted(line for line in lines if line.startswith(name + "{") or line == name)


def watched_world(database_url: str) -> tuple[App, FakeCqc]:
    """Three locations (one failing); two sinks: one meets a 410, the other gives up."""
    cqc = FakeCqc(docs.all_real())
    cqc.errors[docs.ALLIED] = "HTTP 503"
    settings = settings_for(
        database_url,
        watch={"locations": [docs.HENLEY, docs.LUCERNE, docs.ALLIED]},
        sinks=[{"name": "hook", "type": "console"}, {"name": "mail", "type": "console"}],
    )
    sinks = {"hook": RecordingSink("hook", ["gone"]), "mail": RecordingSink("mail", ["dead"])}
    app = app_for(settings, api=cqc, sinks=sinks, clock=FakeClock())
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.set_key_question(docs.real(docs.HENLEY), "Safe", "Inadequate")
    app.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert len(app.review().run("full").events) == 1
    app.dispatcher().deliver_due()
    return app, cqc


def fail_a_review_and_lose_a_poll(app: App) -> int:
    """A full review that failed, then a poll whose replica stopped renewing its lease."""
    app.clock.advance(hours=1)  # type: ignore[attr-defined]
    now = app.clock.now()
    with app.sessions.begin() as session:
        failed = cycles.start(session, "full", "cli", None, "host-b:7", now, alive=bool, ttl=LEASE)
        cycles.finish(session, failed, now, status="failed", error="HTTP 401: key refused")
        lost = cycles.start(
            session,
            "incremental",
            "schedule",
            "changes:x",
            "host-b:7",
            now,
            alive=bool,
            ttl=EXPIRED,
        )
    return lost.cycle_id


def test_what_status_calls_attention_to_is_exported(database_url: str) -> None:
    app, _ = watched_world(database_url)
    fail_a_review_and_lose_a_poll(app)
    metrics = Metrics(figures_of(app), ready=DatabaseProbe(app.engine).probe)

    lines = scrape(metrics)

    assert series(lines, "cqc_monitor_sink_disabled") == [
        'cqc_monitor_sink_disabled{sink="hook"} 1.0'
    ]
    assert series(lines, "cqc_monitor_sink_deliveries") == [
        'cqc_monitor_sink_deliveries{sink="hook",state="dead"} 1.0',
        'cqc_monitor_sink_deliveries{sink="hook",state="failed"} 0.0',
        'cqc_monitor_sink_deliveries{sink="hook",state="pending"} 0.0',
        'cqc_monitor_sink_deliveries{sink="mail",state="dead"} 1.0',
        'cqc_monitor_sink_deliveries{sink="mail",state="failed"} 0.0',
        'cqc_monitor_sink_deliveries{sink="mail",state="pending"} 0.0',
    ]
    assert series(lines, "cqc_monitor_last_cycle_failed") == [
        'cqc_monitor_last_cycle_failed{kind="full"} 1.0',
        'cqc_monitor_last_cycle_failed{kind="incremental"} 0.0',  # running: not failed
    ]
    assert series(lines, "cqc_monitor_cycle_lease_expired") == [
        'cqc_monitor_cycle_lease_expired{kind="full"} 0.0',
        'cqc_monitor_cycle_lease_expired{kind="incremental"} 1.0',
    ]
    assert 'cqc_monitor_locations{state="failing"} 1.0' in lines
    assert "cqc_monitor_deliveries_dead 2.0" in lines
    assert "cqc_monitor_ready 1.0" in lines


def test_the_figures_clear_once_the_operator_has_acted(database_url: str) -> None:
    app, cqc = watched_world(database_url)
    lost = fail_a_review_and_lose_a_poll(app)
    metrics = Metrics(figures_of(app))

    app.enable_sink("hook")  # the receiver was fixed; its dead delivery is due again
    with app.sessions.begin() as session:  # what a replica's takeover or the next start does
        runstate.abandon_cycles(session, [lost], app.clock.now(), "taken over")
    del cqc.errors[docs.ALLIED]
    app.clock.advance(hours=1)  # type: ignore[attr-defined]
    app.review().run("full")
    lines = scrape(metrics)

    assert series(lines, "cqc_monitor_sink_disabled") == []
    assert 'cqc_monitor_sink_deliveries{sink="hook",state="pending"} 1.0' in lines
    assert series(lines, "cqc_monitor_last_cycle_failed") == [
        'cqc_monitor_last_cycle_failed{kind="full"} 0.0',
        'cqc_monitor_last_cycle_failed{kind="incremental"} 0.0',
    ]
    assert 'cqc_monitor_cycle_lease_expired{kind="incremental"} 0.0' in lines
    assert 'cqc_monitor_locations{state="failing"} 0.0' in lines


def test_a_configured_sink_with_nothing_waiting_is_counted_at_zero(database_url: str) -> None:
    settings = settings_for(database_url, sinks=[{"name": "quiet", "type": "console"}])
    app = app_for(settings, api=FakeCqc(), sinks={"quiet": RecordingSink("quiet")})

    lines = scrape(Metrics(figures_of(app)))

    assert series(lines, "cqc_monitor_sink_deliveries") == [
        'cqc_monitor_sink_deliveries{sink="quiet",state="dead"} 0.0',
        'cqc_monitor_sink_deliveries{sink="quiet",state="failed"} 0.0',
        'cqc_monitor_sink_deliveries{sink="quiet",state="pending"} 0.0',
    ]


def test_a_database_behind_the_migrations_is_not_ready(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        lines = scrape(Metrics(ready=DatabaseProbe(engine).probe))
    finally:
        engine.dispose()
    assert "cqc_monitor_ready 0.0" in lines


def test_a_probe_that_breaks_reads_as_not_ready() -> None:
    def broken() -> tuple[bool, dict[str, str]]:
        raise RuntimeError("connection pool exhausted")

    assert "cqc_monitor_ready 0.0" in scrape(Metrics(ready=broken))


def test_http_attempts_to_cqc_are_counted_by_outcome(tmp_path: Path) -> None:
    gone = "1-999000111"
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with sim.serve() as server:
        sim.faults.status(429, times=1, retry_after=0, location_id=docs.HENLEY)
        sim.faults.status(500, times=1, location_id=docs.LUCERNE)
        api = {"subscription_key": "sim-key", "base_url": server.base_url}
        settings = settings_for(
            f"sqlite:///{tmp_path / 'monitor.db'}",
            sources={"cqc_api": {**api, "requests_per_second": 0}},
            watch={"locations": [docs.HENLEY, docs.LUCERNE, docs.ALLIED, gone]},
        )
        app = app_for(settings)  # the real API client, built as `run` builds it
        app.review().run("full")
        answered = sim.stats.count()

    lines = scrape(Metrics(attempts=app.attempts))

    assert series(lines, "cqc_monitor_http_requests_total") == [
        'cqc_monitor_http_requests_total{outcome="not_found",source="api"} 2.0',  # confirmed
        'cqc_monitor_http_requests_total{outcome="ok",source="api"} 3.0',
        'cqc_monitor_http_requests_total{outcome="rate_limited",source="api"} 1.0',
        'cqc_monitor_http_requests_total{outcome="server_error",source="api"} 1.0',
    ]
    assert answered == 7  # every attempt the simulator answered, counted once
