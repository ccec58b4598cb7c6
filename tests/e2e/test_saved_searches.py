"""Saved searches end to end: the real worker code against the simulated CQC API over HTTP,
with a real database (SQLite file; PostgreSQL in CI). Membership is checked against the
simulator's own documents, never against the monitor's matching rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.domain.events import Event
from monitor.services.cycle_report import CycleReport
from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import Fetch, Location, SearchMember
from tests.fakes import FakeClock, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for, sim_api
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
EAST_CARE_HOMES = {"name": "east-care-homes", "region": ["East", "London"], "careHome": "Y"}
SUFFOLK = {"name": "suffolk-care-homes", "localAuthority": "Suffolk", "careHome": "Y"}


@dataclass
class World:
    sim: SimulatedCqc
    clock: FakeClock
    base_url: str
    database_url: str
    searches: list[dict[str, Any]] = field(default_factory=lambda: [SUFFOLK])
    locations: list[str] = field(default_factory=list)
    everything: bool = False
    sink: RecordingSink = field(default_factory=lambda: RecordingSink("ops"))
    area_sink: RecordingSink = field(default_factory=lambda: RecordingSink("area"))

    def app(self) -> App:
        settings = settings_for(
            self.database_url,
            sources={"cqc_api": sim_api(self.base_url)},
            watch={"locations": self.locations, "search": self.searches, "all": self.everything},
            sinks=[
                {"name": "ops", "type": "console"},
                {"name": "area", "type": "console", "searches": [self.searches[0]["name"]]},
            ],
        )
        sinks = {"ops": self.sink, "area": self.area_sink}
        return app_for(settings, clock=self.clock, sinks=sinks)

    def poll(self, kind: str = "incremental", days: float = 1) -> CycleReport:
        self.clock.advance(days=days)
        app = self.app()
        report = app.review().run(kind)  # type: ignore[arg-type]
        app.dispatcher().deliver_due()
        return report

    def delivered(self, *types: str, sink: RecordingSink | None = None) -> list[Event]:
        batches = (sink or self.sink).batches
        return [a.event for batch in batches for a in batch if not types or a.event.type in types]

    def members(self, search: str) -> list[str]:
        with self.app().sessions() as session:
            query = select(SearchMember.location_id).where(
                SearchMember.search == search, SearchMember.state == "member"
            )
            return sorted(session.scalars(query))

    def stored(self) -> list[str]:
        with self.app().sessions() as session:
            return sorted(session.scalars(select(Location.id)))

    def expected(self, test: Callable[[dict[str, Any]], bool]) -> list[str]:
        """The simulator's own answer, read from its documents."""
        return sorted(i for i in self.sim.population.ids() if test(self.sim.document(i)))


def world_of(population: Population, database_url: str) -> Iterator[World]:
    clock = FakeClock(START)
    simulator = SimulatedCqc(population, clock=clock.now)
    with simulator.serve() as server:
        yield World(simulator, clock, server.base_url, database_url)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    yield from world_of(Population.from_documents(docs.all_real().values()), database_url)


@pytest.fixture
def register(database_url: str) -> Iterator[World]:
    yield from world_of(Population.generate(160, seed=11), database_url)


def in_east_care_homes(doc: dict[str, Any]) -> bool:
    return doc.get("region") in ("East", "London") and doc.get("careHome") == "Y"


def test_a_search_resolves_to_the_simulators_own_answer_silently(register: World) -> None:
    register.searches = [EAST_CARE_HOMES]
    expected = register.expected(in_east_care_homes)
    assert len(expected) > 5

    report = register.poll("full", days=0)

    assert register.members("east-care-homes") == expected
    assert register.stored() == expected  # nothing else of the register is kept
    assert (report.baselines, report.events) == (len(expected), [])  # a silent baseline


def test_a_new_registration_is_one_location_added_on_the_next_daily_poll(world: World) -> None:
    world.poll("full", days=0)
    world.clock.advance(hours=3)
    rose = world.sim.register_care_home(
        name="Rose Court", local_authority="Suffolk", region="East", registered="2026-11-02"
    )

    report = world.poll()

    (event,) = world.delivered()
    assert event.id in {e.id for e in report.events}
    assert (event.type, event.location.id, event.severity) == ("location_added", rose, "info")
    assert event.details["reason"] == "new_registration"
    assert event.summary == (
        "New care home registered in Suffolk: Rose Court, not yet rated (suffolk-care-homes)."
    )
    assert world.delivered(sink=world.area_sink) == [event]
    assert world.members("suffolk-care-homes") == sorted([docs.HENLEY, rose])
    # Heard once: neither the next poll nor the monthly review says it again.
    world.poll()
    world.poll("full")
    assert world.delivered() == [event]


def test_an_unwatched_change_that_matches_nothing_leaves_no_trace(world: World) -> None:
    world.poll("full", days=0)
    world.clock.advance(hours=3)
    world.sim.set_rating(docs.ALLIED, "Overall", "Good", report_date="2026-11-02")
    elsewhere = world.sim.register_care_home(
        name="Far Away", local_authority="Cornwall", region="South West", registered="2026-11-02"
    )

    report = world.poll()

    assert (report.locations, report.events) == (0, [])
    assert elsewhere not in world.stored() and docs.ALLIED not in world.stored()
    with world.app().sessions() as session:
        fetched = set(session.scalars(select(Fetch.location_id)))
    assert fetched == {docs.HENLEY}  # the baseline's; the two candidates left no row


def test_a_move_out_is_location_left_and_a_move_back_now_matches(world: World) -> None:
    world.poll("full", days=0)
    world.clock.advance(hours=3)
    world.sim.move(docs.HENLEY, local_authority="Norfolk")

    world.poll()

    (left,) = world.delivered("location_left")
    assert left.location.id == docs.HENLEY
    assert left.summary == (
        "Henley House no longer matches suffolk-care-homes: local authority now Norfolk."
    )
    assert [e.type for e in world.delivered(sink=world.area_sink)] == [
        "details_changed",
        "location_left",
    ]
    assert world.members("suffolk-care-homes") == []

    # No longer watched: what happens to it in Norfolk is not reported...
    world.clock.advance(hours=3)
    world.sim.set_rating(docs.HENLEY, "Overall", "Outstanding", report_date="2026-11-03")
    world.poll()
    assert world.delivered("rating_changed") == []
    # ...until it moves back, when it joins again with how it stands now.
    world.clock.advance(hours=3)
    world.sim.move(docs.HENLEY, local_authority="Suffolk")
    world.poll()
    (back,) = world.delivered("location_added")
    assert back.details["reason"] == "now_matches"
    assert back.summary == (
        "Henley House now matches suffolk-care-homes: care home in Suffolk, rated Outstanding."
    )
    assert world.delivered("rating_changed", "details_changed")[1:] == []


def test_a_search_added_later_is_resolved_by_the_next_daily_poll_silently(world: World) -> None:
    world.searches = [{"name": "devon-care-homes", "localAuthority": "Devon", "careHome": "Y"}]
    world.poll("full", days=0)
    world.searches = [world.searches[0], SUFFOLK]

    report = world.poll()

    assert world.members("suffolk-care-homes") == [docs.HENLEY]
    assert (report.baselines, report.events) == (1, [])
    # Changing its filters is a new baseline too: Henley leaves silently.
    world.searches = [world.searches[0], {**SUFFOLK, "localAuthority": "Norfolk"}]
    assert world.poll().events == []
    assert world.members("suffolk-care-homes") == []


def test_a_members_own_changes_reach_the_searchs_sink(world: World) -> None:
    world.locations = [docs.ALLIED]
    world.poll("full", days=0)
    world.clock.advance(hours=3)
    world.sim.set_rating(docs.HENLEY, "Safe", "Inadequate", report_date="2026-11-02")
    world.sim.add_report(docs.ALLIED, report_date="2026-11-02", first_visit_date="2026-10-20")

    world.poll()

    assert {(e.type, e.location.id) for e in world.delivered()} == {
        ("rating_changed", docs.HENLEY),
        ("new_inspection", docs.HENLEY),
        ("new_inspection", docs.ALLIED),
    }
    assert {e.location.id for e in world.delivered(sink=world.area_sink)} == {docs.HENLEY}


def test_changes_and_history_show_who_joined(tmp_path: Path, world: World) -> None:
    config = write_config(
        tmp_path,
        world.base_url,
        locations=[],
        extra='[[watch.search]]\nname = "suffolk-care-homes"\n'
        'localAuthority = "Suffolk"\ncareHome = "Y"\n',
    )
    assert run_cli(config, "check", "--no-deliver").returncode == 0
    # The command runs on the real clock: the registration is stamped a little before now,
    # inside the next poll's window (which re-reads the hour before the last poll).
    world.clock.moment = datetime.now(UTC) - timedelta(minutes=2)
    rose = world.sim.register_care_home(
        name="Rose Court",
        local_authority="Suffolk",
        region="East",
        registered=datetime.now(UTC).date(),
    )

    poll = run_cli(config, "check", "--no-deliver")

    assert poll.returncode == 0, poll.stderr
    shown = run_cli(config, "changes", "--type", "location_added", "--format", "json")
    (event,) = json.loads(shown.stdout)
    assert (event["location"]["id"], event["details"]["search"]) == (rose, "suffolk-care-homes")
    history = run_cli(config, "history", rose)
    assert "New care home registered in Suffolk: Rose Court, not yet rated" in history.stdout


def test_config_check_resolve_shows_how_many_each_search_matches_now(
    tmp_path: Path, register: World
) -> None:
    search = '[[watch.search]]\nname = "east-care-homes"\nregion = ["East", "London"]\n'
    config = write_config(
        tmp_path, register.base_url, locations=[], extra=search + 'careHome = "Y"\n'
    )

    result = run_cli(config, "config", "check", "--resolve")

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.split("\n", 1)[1])
    (entry,) = shown["watch"]["search"]
    assert entry["matches_now"] == len(register.expected(in_east_care_homes))
    assert entry["filters"] == {"region": ["East", "London"], "careHome": ["Y"]}


def test_an_unknown_search_key_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    search = '[[watch.search]]\nname = "kent"\nlocalauthority = "Kent"\n'
    config = write_config(tmp_path, "http://127.0.0.1:9/public/v1", locations=[], extra=search)

    result = run_cli(config, "config", "check")

    assert result.returncode == 2
    assert "watch.search[0]: unknown key 'localauthority' (did you mean localAuthority?)" in (
        result.stderr
    )


def test_a_search_the_api_cannot_list_is_asked_again_by_the_next_cycle(world: World) -> None:
    world.searches = [{"name": "devon-care-homes", "localAuthority": "Devon", "careHome": "Y"}]
    world.poll("full", days=0)
    world.searches = [world.searches[0], SUFFOLK]
    world.sim.faults.status(400, times=1, path_prefix="/locations")

    report = world.poll()

    assert report.events == [] and world.members("suffolk-care-homes") == []
    world.poll()
    assert world.members("suffolk-care-homes") == [docs.HENLEY]
    assert world.delivered() == []  # still its first resolution: a silent baseline


def test_with_the_whole_register_watched_the_walk_resolves_the_search(register: World) -> None:
    register.searches = [EAST_CARE_HOMES]
    register.locations = []
    register.everything = True
    expected = register.expected(in_east_care_homes)

    report = register.poll("full", days=0)

    assert register.members("east-care-homes") == expected
    assert report.baselines == len(register.sim.population) and report.events == []
    register.clock.advance(hours=3)
    rose = register.sim.register_care_home(
        name="Rose Court", local_authority="Ipswich", region="East", registered="2026-11-02"
    )
    register.poll()
    (event,) = register.delivered()
    assert (event.type, event.location.id) == ("location_added", rose)


def test_a_providers_services_in_one_region(register: World) -> None:
    provider = register.sim.population.provider_of(docs.HENLEY)
    register.sim.register_care_home(
        name="Stour View",
        local_authority="Essex",
        region="East",
        registered="2026-10-01",
        provider_id=provider,
    )
    register.sim.register_care_home(
        name="Thames View",
        local_authority="Kent",
        region="South East",
        registered="2026-10-01",
        provider_id=provider,
    )
    register.searches = [{"name": "group-east", "providerId": provider, "region": "East"}]

    register.poll("full", days=0)

    expected = register.expected(lambda d: d["providerId"] == provider and d["region"] == "East")
    assert len(expected) == 2 and register.members("group-east") == expected
