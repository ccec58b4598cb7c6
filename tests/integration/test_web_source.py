"""The website source inside the review cycle, against the simulator's API and pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import Fetch, SnapshotRecord
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, App]]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()), web_pages=True)
    with simulator.serve() as server:
        settings = settings_for(
            f"sqlite:///{tmp_path / 'monitor.db'}",
            sources={
                "cqc_api": {
                    "base_url": server.base_url,
                    "subscription_key": "sim-key",
                    "requests_per_second": 0,
                },
                "cqc_web": {
                    "enabled": True,
                    "base_url": server.web_base_url,
                    "requests_per_second": 0,
                },
            },
            watch={"locations": [docs.HENLEY, docs.LUCERNE]},
        )
        app = app_for(settings)
        baseline = app.review().run("full")
        assert (baseline.baselines, baseline.events) == (2, [])
        yield simulator, app
        app.close()


def snapshots(app: App) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SnapshotRecord)) or 0)


def test_timeline_is_part_of_the_snapshot(world: tuple[SimulatedCqc, App]) -> None:
    _, app = world
    with app.sessions() as session:
        data = session.scalar(
            select(SnapshotRecord.data).where(SnapshotRecord.location_id == docs.HENLEY)
        )
        sources = sorted(
            session.scalars(select(Fetch.source).where(Fetch.location_id == docs.HENLEY))
        )
    assert data is not None
    assert [(t["date"], t["kind"]) for t in data["timeline"]] == [
        ("2022-03-23", "routine_inspection")
    ]
    assert sources == ["api", "web"]


def test_a_newer_monthly_review_is_exactly_one_data_review_event(
    world: tuple[SimulatedCqc, App],
) -> None:
    simulator, app = world
    simulator.add_data_review(docs.HENLEY, "2026-11-03")
    (event,) = app.review().run("full").events
    assert event.type == "data_review"
    assert event.details["date"] == "2026-11-03"
    assert "review of the data available to us" in event.details["text"]
    assert app.review().run("full").events == []


def test_an_inspection_seen_by_both_sources_is_one_new_inspection(
    world: tuple[SimulatedCqc, App],
) -> None:
    simulator, app = world
    link = simulator.add_report(
        docs.LUCERNE, report_date="2026-11-20", first_visit_date="2026-10-14"
    )
    events = app.review().run("full").events
    assert [(e.type, e.details["report_link_id"]) for e in events] == [("new_inspection", link)]


def test_an_unrecognisable_page_is_an_error_with_no_snapshot_change(
    world: tuple[SimulatedCqc, App],
) -> None:
    simulator, app = world
    before = snapshots(app)
    simulator.faults.malformed(docs.HENLEY, times=1, path_prefix="/location/")
    simulator.add_data_review(docs.HENLEY, "2026-11-03")

    broken = app.review().run("full")
    assert (broken.page_errors, broken.errors, broken.events) == (1, 0, [])
    assert snapshots(app) == before
    with app.sessions() as session:
        error = session.scalar(
            select(Fetch.error).where(Fetch.source == "web", Fetch.outcome == "error")
        )
    assert error is not None and "unrecognisable page" in error

    # Once the page is readable again the new entry is reported once, not as a flood.
    assert [e.type for e in app.review().run("full").events] == ["data_review"]


def test_an_unreadable_page_does_not_hide_a_rating_change_in_the_api(
    world: tuple[SimulatedCqc, App],
) -> None:
    simulator, app = world
    simulator.faults.status(404, times=20, path_prefix="/location/")
    simulator.set_rating(docs.LUCERNE, "Safe", "Inadequate", report_date="2026-11-20")
    report = app.review().run("full")

    assert report.page_errors == 2
    assert {e.type for e in report.events} == {"rating_changed", "new_inspection"}
    with app.sessions() as session:
        data = session.scalar(
            select(SnapshotRecord.data)
            .where(SnapshotRecord.location_id == docs.LUCERNE)
            .order_by(SnapshotRecord.id.desc())
        )
    assert data is not None and data["timeline"]  # carried over from the last snapshot
