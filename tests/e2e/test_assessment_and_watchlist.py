"""Every rating change at every watched location, end to end: the real worker code against the
simulated CQC API over HTTP, with a real database (SQLite file; PostgreSQL in CI).

Single Assessment Framework documents come in CQC's real shape (``monitor.sim``), and a new
watchlist entry is covered by the next daily poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.domain.events import Event
from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import Location, SnapshotRecord
from tests.fakes import FakeClock, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for, sim_api
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
SAFE_INADEQUATE = {
    "Safe": "Inadequate",
    "Effective": "Good",
    "Caring": "Good",
    "Responsive": "Good",
    "Well-led": "Requires Improvement",
}


@dataclass
class World:
    sim: SimulatedCqc
    clock: FakeClock
    base_url: str
    database_url: str
    sink: RecordingSink

    def app(self, locations: list[str]) -> App:
        settings = settings_for(
            self.database_url,
            sources={"cqc_api": sim_api(self.base_url)},
            watch={"locations": locations},
            sinks=[{"name": "ops", "type": "console"}],
        )
        return app_for(settings, clock=self.clock, sinks={"ops": self.sink})

    def poll(self, locations: list[str], kind: str = "incremental", days: float = 1) -> Any:
        self.clock.advance(days=days)
        app = self.app(locations)
        report = app.review().run(kind)  # type: ignore[arg-type]
        app.dispatcher().deliver_due()
        return report

    def publish(self) -> None:
        """The regulator publishes something a few hours after the last poll."""
        self.clock.advance(hours=3)

    def delivered(self, event_type: str = "rating_changed") -> list[Event]:
        return [a.event for batch in self.sink.batches for a in batch if a.event.type == event_type]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    clock = FakeClock(START)
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()), clock=clock.now)
    with simulator.serve() as server:
        yield World(simulator, clock, server.base_url, database_url, RecordingSink("ops"))


def rows_of(event: Event) -> dict[tuple[str | None, str], tuple[str, str, str, str]]:
    return {
        (c["service"], c["question"]): (c["old"], c["new"], c["direction"], c["framework"])
        for c in event.details["changes"]
    }


def test_legacy_good_then_assessment_decline_is_one_critical_alert(world: World) -> None:
    watched = [docs.HENLEY, docs.LUCERNE]
    assert world.poll(watched, "full", days=0).events == []

    world.publish()
    world.sim.assess(
        docs.HENLEY,
        overall="Requires Improvement",
        key_questions=SAFE_INADEQUATE,
        published="2026-11-01",
    )
    report = world.poll(watched)

    (event,) = world.delivered()
    assert event.id in {e.id for e in report.events}
    assert (event.location.id, event.severity) == (docs.HENLEY, "critical")
    assert rows_of(event) == {
        (None, "Overall"): ("Good", "Requires improvement", "declined", "assessment"),
        (None, "Safe"): ("Good", "Inadequate", "declined", "assessment"),
        (None, "Well-led"): ("Good", "Requires improvement", "declined", "assessment"),
    }
    assert "(new assessment, published 2026-11-01)" in event.summary


def test_assessment_then_re_assessment_is_a_change(world: World) -> None:
    world.sim.assess(
        docs.HENLEY,
        overall="Requires Improvement",
        key_questions=SAFE_INADEQUATE,
        published="2025-06-02",
    )
    watched = [docs.HENLEY]
    assert world.poll(watched, "full", days=0).events == []  # old news: a silent baseline

    world.publish()
    world.sim.assess(
        docs.HENLEY,
        overall="Good",
        key_questions={**SAFE_INADEQUATE, "Safe": "Good", "Well-led": "Good"},
        published="2026-11-01",
    )
    world.poll(watched)

    (event,) = world.delivered()
    assert event.severity == "info"
    assert rows_of(event) == {
        (None, "Overall"): ("Requires improvement", "Good", "improved", "assessment"),
        (None, "Safe"): ("Inadequate", "Good", "improved", "assessment"),
        (None, "Well-led"): ("Requires improvement", "Good", "improved", "assessment"),
    }


def test_assessment_only_location_first_seen_is_a_silent_baseline(world: World) -> None:
    doc = docs.without_current_ratings(
        docs.with_assessment(
            docs.real(docs.HENLEY),
            published="2025-02-03",
            overall="Inadequate",
            key_questions={"Safe": "Inadequate"},
        )
    )
    doc["locationId"] = "1-900000001"
    world.sim.add_location(doc)

    report = world.poll(["1-900000001"], "full", days=0)

    assert (report.baselines, report.events) == (1, [])
    app = world.app([])
    with app.sessions() as session:
        data = session.scalars(select(SnapshotRecord.data)).one()
    overall = next(r for r in data["ratings"] if r["question"] == "Overall")
    assert (overall["rating"], overall["framework"]) == ("Inadequate", "assessment")


def test_only_historic_assessments_leave_the_legacy_rating_in_force(world: World) -> None:
    def historic(doc: docs.Doc) -> None:
        for entry in doc.get("assessment", []):
            for item in entry["ratings"]["asgRatings"]:
                item["status"] = "Historic"

    world.sim.assess(
        docs.HENLEY,
        overall="Inadequate",
        key_questions={"Safe": "Inadequate"},
        published="2026-03-02",
    )
    world.sim.update(docs.HENLEY, historic)
    report = world.poll([docs.HENLEY], "full", days=0)

    assert report.events == []
    with world.app([]).sessions() as session:
        data = session.scalars(select(SnapshotRecord.data)).one()
    overall = next(r for r in data["ratings"] if r["question"] == "Overall")
    assert (overall["rating"], overall["framework"]) == ("Good", "legacy")


def test_a_new_watchlist_entry_is_fetched_by_the_next_daily_poll(world: World) -> None:
    assert world.poll([docs.HENLEY], "full", days=0).baselines == 1

    # Mid-month, Lucerne House is added to the watchlist; nothing about it is in the feed.
    report = world.poll([docs.HENLEY, docs.LUCERNE])

    assert (report.locations, report.baselines, report.new_in_watchlist) == (1, 1, 1)
    assert "1 new in watchlist" in report.summary()
    assert report.events == []  # what it shows was published long ago: a silent baseline
    with world.app([]).sessions() as session:
        lucerne = session.get(Location, docs.LUCERNE)
        assert lucerne is not None and lucerne.last_snapshot_id is not None

    # The next poll has nothing new to fetch for it.
    assert world.poll([docs.HENLEY, docs.LUCERNE]).new_in_watchlist == 0


def test_a_change_published_after_the_id_was_added_is_alerted_on_its_first_fetch(
    world: World,
) -> None:
    world.poll([docs.HENLEY], "full", days=0)
    # Lucerne House enters the watchlist: the worker learns of it at its next cycle, and the
    # change CQC publishes that same day puts it in the feed before its baseline exists.
    world.poll([docs.HENLEY, docs.LUCERNE], days=0.1)
    world.sim.remove(docs.LUCERNE)  # 404 at its first fetch: no baseline yet
    world.poll([docs.HENLEY, docs.LUCERNE], days=0.1)
    world.sim.add_location(docs.real(docs.LUCERNE))
    world.sim.set_ratings(
        docs.LUCERNE,
        {"Overall": "Requires improvement", "Safe": "Inadequate"},
        report_date=world.clock.now().date(),
    )

    world.poll([docs.HENLEY, docs.LUCERNE])

    (event,) = world.delivered()
    assert (event.location.id, event.severity) == (docs.LUCERNE, "critical")
    assert rows_of(event)[(None, "Overall")][:3] == (
        "Outstanding",
        "Requires improvement",
        "declined",
    )
    assert [e.location.id for e in world.delivered("new_inspection")] == [docs.LUCERNE]


def test_check_location_refuses_an_id_that_is_not_one(tmp_path: Path, world: World) -> None:
    config = write_config(tmp_path, world.base_url)
    result = run_cli(config, "check", "--location", "../../etc/passwd")
    assert result.returncode == 2
    assert "--location" in result.stderr and "is not a CQC id" in result.stderr
    assert not (tmp_path / "monitor.db").exists()  # nothing was stored for it


def test_an_id_added_to_the_config_is_covered_by_the_next_check(
    tmp_path: Path, world: World
) -> None:
    config = write_config(tmp_path, world.base_url, locations=[docs.HENLEY])
    assert run_cli(config, "check", "--no-deliver").returncode == 0

    write_config(tmp_path, world.base_url, locations=[docs.HENLEY, docs.LUCERNE])
    never = run_cli(config, "history", docs.LUCERNE)
    assert never.returncode == 1 and "never been checked" in never.stderr

    poll = run_cli(config, "check", "--no-deliver")  # incremental: nothing in the feed
    assert poll.returncode == 0, poll.stderr
    assert "1 new in watchlist" in poll.stdout
    history = run_cli(config, "history", docs.LUCERNE)
    assert history.returncode == 0 and "Outstanding" in history.stdout
