"""Each fault the simulated regulator can inject, and what the monitor does about it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.errors import AuthenticationError, SourceError
from monitor.services.review import FEED
from monitor.sim import Population, SimulatedCqc
from monitor.store.repository import get_watermark
from monitor.store.tables import Cycle, Fetch, SnapshotRecord
from tests.fakes import FakeClock
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


@pytest.fixture
def simulator() -> Iterator[tuple[SimulatedCqc, str]]:
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with sim.serve() as server:
        yield sim, server.base_url


def make_app(tmp_path: Path, base_url: str, clock: FakeClock | None = None, **api: Any) -> App:
    settings = settings_for(
        f"sqlite:///{tmp_path / 'monitor.db'}",
        sources={
            "cqc_api": {
                "base_url": base_url,
                "subscription_key": "sim-key",
                "requests_per_second": 0,
                **api,
            }
        },
        watch={"locations": WATCHED},
        alerts={"failing_after": 2},
    )
    return app_for(settings, **({"clock": clock} if clock else {}))


def fetch_rows(app: App, location_id: str) -> list[tuple[str, int | None, str | None]]:
    with app.sessions() as session:
        rows = session.execute(
            select(Fetch.outcome, Fetch.http_status, Fetch.error)
            .where(Fetch.location_id == location_id)
            .order_by(Fetch.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_latency_slows_the_cycle_but_loses_nothing(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    sim.faults.latency(0.2)
    app = make_app(tmp_path, base_url)
    started = time.monotonic()
    report = app.review().run("full")
    assert report.baselines == 3 and report.errors == 0
    assert time.monotonic() - started >= 0.2


def test_429_with_retry_after_is_waited_out_then_succeeds(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    sim.faults.status(429, times=1, retry_after=1, location_id=docs.HENLEY)
    app = make_app(tmp_path, base_url)
    started = time.monotonic()
    report = app.review().run("full")
    assert (report.baselines, report.errors) == (3, 0)
    assert time.monotonic() - started >= 1.0  # the receiver's Retry-After was honoured
    assert fetch_rows(app, docs.HENLEY) == [("baseline", 200, None)]


def test_500_once_is_retried(tmp_path: Path, simulator: tuple[SimulatedCqc, str]) -> None:
    sim, base_url = simulator
    sim.faults.status(500, times=1, location_id=docs.LUCERNE)
    app = make_app(tmp_path, base_url)
    assert app.review().run("full").errors == 0
    assert sim.stats.count(status=500) == 1


def test_a_hanging_api_times_out_for_that_location_only_and_alerts_after_n_cycles(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url, timeout_seconds=0.3, max_attempts=1)
    app.review().run("full")
    sim.faults.hang(2, times=4, location_id=docs.ALLIED)

    first = app.review().run("full")
    assert (first.unchanged, first.errors, first.events) == (2, 1, [])
    (event,) = app.review().run("full").events
    assert event.type == "monitor_failing"
    assert event.details["consecutive_failures"] == 2
    assert "timed out" in event.details["last_error"].lower()


def test_a_dribbling_api_is_cut_off_at_the_deadline_for_that_location_only(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url, timeout_seconds=2, deadline_seconds=0.5, max_attempts=1)
    app.review().run("full")
    sim.faults.dribble(0.05, times=None, location_id=docs.ALLIED)

    report = app.review().run("full")

    assert (report.unchanged, report.errors) == (2, 1)
    outcome, _status, error = fetch_rows(app, docs.ALLIED)[-1]
    assert outcome == "error" and "0.5s deadline" in (error or "")


def test_malformed_json_is_an_error_never_a_snapshot_or_an_event(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url)
    app.review().run("full")
    sim.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date="2026-11-20")
    sim.faults.malformed(docs.HENLEY, times=1)

    broken = app.review().run("full")
    assert (broken.errors, broken.events) == (1, [])
    outcome, status, error = fetch_rows(app, docs.HENLEY)[-1]
    assert (outcome, status) == ("error", 200) and error is not None and "JSON" in error
    with app.sessions() as session:
        assert len(list(session.scalars(select(SnapshotRecord.id)))) == 3

    # The next good fetch reports the real change, once.
    assert {e.type for e in app.review().run("full").events} == {"rating_changed", "new_inspection"}


def test_404_for_a_known_location_is_one_location_removed(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url)
    app.review().run("full")
    sim.remove(docs.ALLIED)
    (event,) = app.review().run("full").events
    assert (event.type, event.details) == ("location_removed", {"http_status": 404})
    assert app.review().run("full").events == []


def test_401_stops_the_cycle_with_a_clear_error(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    _, base_url = simulator
    settings_key = {"subscription_key": "revoked-key"}
    app = make_app(tmp_path, base_url, **settings_key)
    with pytest.raises(AuthenticationError, match="subscription key"):
        app.review().run("full")
    with app.sessions() as session:
        (cycle,) = session.scalars(select(Cycle))
    assert cycle.status == "failed"
    assert "revoked-key" not in (cycle.error or "")


def test_a_single_stray_404_is_not_taken_for_a_removal(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url)
    app.review().run("full")
    sim.faults.not_found(docs.LUCERNE, times=1)
    report = app.review().run("full")
    assert (report.unchanged, report.gone, report.events) == (3, 0, [])


def feed_watermark(app: App) -> datetime | None:
    with app.sessions() as session:
        return get_watermark(session, FEED)


def test_a_change_feed_that_never_stops_paging_fails_the_cycle_and_keeps_the_watermark(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    clock = FakeClock()
    app = make_app(tmp_path, base_url, clock)
    app.review().run("full")
    watermark = feed_watermark(app)
    sim.clock = lambda: clock.now() + timedelta(minutes=30)
    sim.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date="2026-11-20")
    clock.advance(hours=1)
    sim.faults.endless_paging(path_prefix="/changes")

    with pytest.raises(SourceError, match="pages"):
        app.review().run("incremental")
    assert sim.stats.count("changes") == 1
    assert feed_watermark(app) == watermark
    with app.sessions() as session:
        last = session.scalars(select(Cycle).order_by(Cycle.id.desc())).first()
    assert last is not None and last.status == "failed"

    # The window is read again once the feed behaves: the change is not lost.
    sim.faults.clear()
    report = app.review().run("incremental")
    assert {event.type for event in report.events} == {"rating_changed", "new_inspection"}
    assert feed_watermark(app) != watermark


def test_a_register_listing_that_never_stops_paging_fails_the_review(
    tmp_path: Path, simulator: tuple[SimulatedCqc, str]
) -> None:
    sim, base_url = simulator
    app = make_app(tmp_path, base_url)
    app.settings.watch.all = True
    sim.faults.endless_paging(total_pages=50, path_prefix="/locations")

    with pytest.raises(SourceError, match="no id that page 1 did not"):
        app.review().run("full")
    assert sim.stats.count("locations") == 2
    assert feed_watermark(app) is None
