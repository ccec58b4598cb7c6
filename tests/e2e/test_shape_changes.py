"""The shape watch end to end (SPEC §2.1.3): the real worker code against the simulated CQC
API over HTTP, a real database (SQLite file; PostgreSQL in CI) and a real webhook receiver.

The first full review learns CQC's document shape silently; after it a new key, a rating label
off the scale or a field the monitor reads that disappears is one ``source_changed``, once per
deployment, whoever sees it and however often.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.sim import Population, SimulatedCqc
from monitor.store.source_changes import shape_report
from monitor.store.tables import EventRecord, Location, SourceChange
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.fakes import FakeClock
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for, simulator_source
from tests.support.cli import clean_environment, command, run_cli, write_config
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REAL = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


@dataclass
class World:
    sim: SimulatedCqc
    clock: FakeClock
    base_url: str
    database_url: str
    receiver: WebhookReceiver

    def app(self, **watch: Any) -> App:
        settings = settings_for(
            self.database_url,
            sources=simulator_source(self.base_url),
            watch=watch or {"locations": REAL},
            sinks=[
                {
                    "name": "operations",
                    "type": "webhook",
                    "url": self.receiver.url,
                    "secret": SECRET,
                    "events": ["source_changed", "rating_changed"],
                }
            ],
        )
        return app_for(settings, clock=self.clock)

    def cycle(self, app: App, kind: str = "full") -> list[str]:
        """One cycle a day later; the types of the events it wrote."""
        self.clock.advance(days=1)
        return [event.type for event in app.review().run(kind).events]  # type: ignore[arg-type]


@contextmanager
def make_world(database_url: str, population: Population) -> Iterator[World]:
    clock = FakeClock(START)
    sim = SimulatedCqc(population, clock=clock.now)
    with sim.serve() as server, WebhookReceiver() as receiver:
        yield World(sim, clock, server.base_url, database_url, receiver)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with make_world(database_url, Population.from_documents(docs.all_real().values())) as made:
        yield made


def source_changed_events(app: App) -> list[dict[str, Any]]:
    with app.sessions() as session:
        rows = session.scalars(
            select(EventRecord.payload)
            .where(EventRecord.type == "source_changed")
            .order_by(EventRecord.detected_at)
        )
        return list(rows)


def delivered(world: World, app: App) -> list[dict[str, Any]]:
    """Deliver what is due; the events the operations webhook received so far."""
    app.dispatcher().deliver_due()
    return [request.json()["data"] for request in world.receiver.requests]


def test_real_and_simulated_documents_baseline_and_change_without_a_warning(
    database_url: str,
) -> None:
    """The whole register (list pages, change-feed pages, location documents) of the real
    documents and generated ones: learned silently, then ordinary news is no shape change."""
    with make_world(database_url, Population.generate(60)) as world:
        app = world.app(all=True)
        assert world.cycle(app) == []
        assert world.cycle(app) == []
        first, second, third = world.sim.population.ids()[3:6]
        world.sim.set_rating(first, "Overall", "Inadequate", report_date="2026-11-02")
        world.sim.assess(
            second, overall="Requires Improvement", key_questions={}, published="2026-11-02"
        )
        world.sim.deregister(third, "2026-11-02")
        world.sim.add_report(docs.HENLEY, report_date="2026-11-02", first_visit_date="2026-10-20")
        world.sim.register_care_home(
            name="Orwell View", local_authority="Suffolk", region="East", registered="2026-11-02"
        )

        polled = world.cycle(app, "incremental")
        reviewed = world.cycle(app)

        assert "rating_changed" in polled and "source_changed" not in polled + reviewed
        assert source_changed_events(app) == []
        with app.sessions() as session:
            shape = shape_report(session)
        assert shape["learned_at"] is not None
        assert {"location", "list_page", "change_page"} <= set(shape["kinds"])
        assert shape["kinds"]["location"]["documents"] >= 60
        assert shape["unacknowledged"] == 0


def test_learning_lasts_until_a_full_review_has_read_a_document(world: World) -> None:
    app = world.app(locations=["1-000000000"])  # not on the register: every fetch is a 404
    world.cycle(app)
    with app.sessions() as session:
        assert shape_report(session)["learned_at"] is None

    app = world.app()
    world.cycle(app)
    with app.sessions() as session:
        assert shape_report(session)["learned_at"] is not None


def test_provider_documents_and_feed_pages_are_read_for_their_shape(world: World) -> None:
    provider = docs.real(docs.HENLEY)["providerId"]
    app = world.app(providers=[provider])

    assert world.cycle(app) == []
    world.sim.touch(docs.HENLEY)
    assert world.cycle(app, "incremental") == []

    with app.sessions() as session:
        kinds = shape_report(session)["kinds"]
    assert kinds["provider"]["documents"] == 2  # one per cycle
    assert "locationIds" in [entry["path"] for entry in kinds["provider"]["paths"]]
    # The poll's page of the location change feed, and of the provider change feed (the
    # provider's own ratings are watched too).
    assert kinds["change_page"]["documents"] == 2
    assert kinds["location"]["documents"] == 1  # the touched body was read before: not again


def test_a_new_key_is_reported_once_across_cycles_and_reaches_the_sink(world: World) -> None:
    app = world.app()
    assert world.cycle(app) == []  # the first full review: learned silently

    # CQC adds a key without notice: no change-feed entry, so the daily poll cannot see it.
    world.sim.reshape(add={"currentRatings.overall.keyQuestionRatings[].scoreBand": "B"})
    assert world.cycle(app, "incremental") == []
    assert world.cycle(app) == ["source_changed"]
    assert world.cycle(app) == []
    world.sim.reshape(add={"currentRatings.overall.keyQuestionRatings[].scoreBand": "C"}, feed=True)
    assert world.cycle(app, "incremental") == []

    (event,) = source_changed_events(app)
    assert event["severity"] == "warning"
    assert event["details"]["paths_added"] == [
        "currentRatings.overall.keyQuestionRatings[].scoreBand"
    ]
    assert event["details"]["examples"] == REAL
    assert event["location"]["id"] == docs.HENLEY
    (received,) = delivered(world, app)
    assert received["id"] == event["id"] and received["type"] == "source_changed"


def test_a_label_off_the_scale_is_reported_once_and_moves_no_rating(world: World) -> None:
    app = world.app()
    world.cycle(app)

    world.sim.introduce_label(docs.HENLEY, "Exceptional", published="2026-11-02")
    assert world.cycle(app, "incremental") == ["source_changed"]
    world.sim.introduce_label(docs.LUCERNE, "Exceptional", published="2026-11-03")
    assert world.cycle(app, "incremental") == []
    assert world.cycle(app) == []

    (event,) = source_changed_events(app)
    assert event["details"]["values_added"] == [
        {
            "path": "assessment[].ratings.asgRatings[].rating",
            "field": "rating",
            "value": "Exceptional",
        }
    ]
    assert [e["type"] for e in delivered(world, app)] == ["source_changed"]
    with app.sessions() as session:
        henley = session.get(Location, docs.HENLEY)
    assert henley is not None and henley.overall_rating == "Exceptional"  # as CQC publishes it

    # Leaving the label is judged against the last rating the monitor could place: Good.
    world.sim.introduce_label(docs.HENLEY, "Inadequate", published="2026-11-10")
    assert world.cycle(app, "incremental") == ["rating_changed"]
    rating = delivered(world, app)[-1]
    (change,) = rating["details"]["changes"]
    assert (change["old"], change["new"], change["direction"]) == ("Good", "Inadequate", "declined")


def test_a_field_the_monitor_reads_that_disappears_is_reported(world: World) -> None:
    app = world.app()
    world.cycle(app)

    world.sim.reshape(drop=["registrationStatus"])

    assert world.cycle(app) == ["source_changed"]  # and no "registration changed to None"
    assert world.cycle(app) == []
    (event,) = source_changed_events(app)
    assert event["details"]["paths_missing"] == ["registrationStatus"]
    assert event["details"]["examples"] == REAL
    assert "registrationStatus (in 0%, was 100%)" in event["summary"]
    with app.sessions() as session:
        (change,) = session.scalars(select(SourceChange)).all()
    assert (change.change, change.event_id) == ("path_missing", event["id"])


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)")
def test_two_replicas_reading_the_same_change_at_once_report_it_once(tmp_path: Path) -> None:
    """Two processes run full reviews of a 400-location register at the same time on one
    PostgreSQL database; both read the new key and the new label; one event says so."""
    reset_postgres(POSTGRES_URL)
    population = Population.generate(400)
    with make_world(POSTGRES_URL, population) as world:
        config = tmp_path / "monitor.toml"
        config.write_text(
            f"""
[database]
url = "{POSTGRES_URL}"

[sources.cqc_api]
base_url = "{world.base_url}"
subscription_key = "sim-key"
requests_per_second = 0

[watch]
all = true

[logging]
format = "json"
"""
        )
        environment = clean_environment({"MONITOR_DATABASE_URL": POSTGRES_URL})
        baseline = subprocess.run(
            command(config, "check", "--full", "--no-deliver"),
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert baseline.returncode == 0, baseline.stderr[-2000:]

        world.sim.reshape(add={"ratingScheme": "2026"})
        world.sim.introduce_label(population.ids()[-1], "Exceptional", published="2026-11-02")
        replicas = [
            subprocess.Popen(
                command(config, "check", "--full", "--no-deliver"),
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [replica.communicate(timeout=300) for replica in replicas]
        assert [replica.returncode for replica in replicas] == [0, 0], outputs

        app = world.app(all=True)
        events = source_changed_events(app)
        with app.sessions() as session:
            keys = sorted(session.scalars(select(SourceChange.key)))
        assert keys == ["path_added:location:ratingScheme", "value_added:rating:exceptional"]
        listed = [e["details"]["paths_added"] + e["details"]["values_added"] for e in events]
        assert sum(len(items) for items in listed) == 2, listed
        logged = [
            json.loads(line)
            for _, stderr in outputs
            for line in stderr.splitlines()
            if line.startswith("{") and '"source_changed"' in line
        ]
        assert len(logged) == len(events)


def test_status_calls_attention_to_a_change_until_source_ack(world: World, tmp_path: Path) -> None:
    """What an operator does with a shape change: ``status`` names it, ``source shape`` shows
    it with the learned shape, ``source ack`` acknowledges it and ``status`` lets it go."""
    app = world.app()
    world.cycle(app)
    world.sim.reshape(drop=["registrationStatus"])
    assert world.cycle(app) == ["source_changed"]
    config = write_config(tmp_path, world.base_url, locations=REAL)
    environment = {"MONITOR_DATABASE_URL": world.database_url}

    def shape_reasons() -> list[str]:
        shown = run_cli(config, "status", "--format", "json", env=environment)
        assert shown.returncode in (0, 1), shown.stderr
        return [r for r in json.loads(shown.stdout)["attention"] if "document shape" in r]

    assert shape_reasons() == [
        "1 change(s) in CQC's document shape not acknowledged (cqc-monitor source ack)"
    ]
    shape = run_cli(config, "source", "shape", "--format", "json", env=environment)
    assert shape.returncode == 0, shape.stderr
    learned = json.loads(shape.stdout)
    assert learned["unacknowledged"] == 1
    (change,) = learned["changes"]
    assert (change["change"], change["path"]) == ("path_missing", "registrationStatus")
    assert any(row["path"] == "registrationStatus" for row in learned["paths"])
    table = run_cli(config, "source", "shape", env=environment)
    assert table.returncode == 0, table.stderr
    assert "registrationStatus" in table.stdout and "not acknowledged" in table.stdout

    acked = run_cli(config, "source", "ack", env=environment)
    assert acked.returncode == 0, acked.stderr
    assert acked.stdout.strip() == "acknowledged 1 change(s) of CQC's document shape"
    assert shape_reasons() == []
    again = run_cli(config, "source", "ack", env=environment)
    assert "no change of CQC's document shape is waiting" in again.stdout
