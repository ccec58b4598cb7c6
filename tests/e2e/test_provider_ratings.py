"""A provider rated as a whole (an NHS trust), end to end: the real review cycle against the
simulated CQC API over HTTP (``/providers/{id}``, ``/changes/provider``, report texts), a real
database (SQLite file; PostgreSQL in CI), a real SMTP server, a signed webhook and a chat
service (Apprise's JSON) on loopback.

The trust's own ratings are watched beside its hospitals': its first sight is silent, a
downgrade is one critical ``provider_rating_changed`` naming the trust in every sink, its new
report arrives as ``provider_new_report`` with what the report found, a rating carried over
from a predecessor is no change, and its unchanged hospitals stay quiet.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.sim import Population, SimulatedCqc
from monitor.store.figures import read_figures
from monitor.store.status import read_status
from monitor.store.tables import Location
from tests.fakes import FakeClock
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for, sim_api
from tests.support.cli import run_cli, write_config
from tests.support.dashboard import client, serving
from tests.support.smtp import SmtpServer, bodies
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TRUST = "1-102642938"  # Henley House's provider, made an NHS trust here
TRUST_NAME = "Henley Hospitals NHS Foundation Trust"
GOOD = {
    "Overall": "Good",
    "Safe": "Good",
    "Effective": "Good",
    "Caring": "Good",
    "Responsive": "Good",
    "Well-led": "Good",
    "Use of resources": "Good",
}
DOWNGRADE = {
    "Overall": "Requires Improvement",  # CQC's other spelling: read canonically
    "Safe": "Requires improvement",
    "Effective": "Good",
    "Caring": "Good",
    "Responsive": "Good",
    "Well-led": "Inadequate",
    "Use of resources": "Requires improvement",
}


@dataclass
class Stage:
    sim: SimulatedCqc
    clock: FakeClock
    base_url: str
    database_url: str
    smtp: SmtpServer
    hook: WebhookReceiver
    chat: WebhookReceiver

    searches: tuple[dict[str, Any], ...] = ()

    def app(self, providers: tuple[str, ...] = (TRUST,)) -> App:
        settings = settings_for(
            self.database_url,
            sources={
                "cqc_api": sim_api(self.base_url),
                "report_text": {"max_attempts": 1, "timeout_seconds": 2},
            },
            watch={
                "locations": [docs.LUCERNE],
                "providers": list(providers),
                "search": list(self.searches),
            },
            sinks=[
                {
                    "name": "mail",
                    "type": "email",
                    "host": self.smtp.host,
                    "port": self.smtp.port,
                    "security": "none",
                    "from": "cqc-monitor@example.org",
                    "to": ["board@example.org"],
                },
                {"name": "hook", "type": "webhook", "url": self.hook.url, "secret": SECRET},
                {
                    "name": "chat",
                    "type": "apprise",
                    "urls": [self.chat.url.replace("http://", "json://", 1)],
                },
                # Follows the trust, and only critical news of it.
                {
                    "name": "board",
                    "type": "webhook",
                    "url": self.hook.url,
                    "secret": SECRET,
                    "providers": [TRUST],
                    "min_severity": "critical",
                },
            ],
        )
        return app_for(settings, clock=self.clock)

    def cycle(
        self, kind: str = "incremental", days: float = 1, providers: tuple[str, ...] = (TRUST,)
    ) -> Any:
        self.clock.advance(days=days)
        app = self.app(providers)
        report = app.review().run(kind)  # type: ignore[arg-type]
        app.dispatcher().deliver_due()
        return report

    def hooked(self, event_type: str) -> list[dict[str, Any]]:
        """Events of this type the webhook receiver got (both webhook sinks post to it)."""
        found = {
            request.json()["data"]["id"]: request.json()["data"] for request in self.hook.requests
        }
        return [event for event in found.values() if event["type"] == event_type]


@pytest.fixture
def stage(database_url: str) -> Iterator[Stage]:
    clock = FakeClock(START)
    sim = SimulatedCqc(
        Population.from_documents(docs.all_real().values()),
        subscription_key="sim-key",
        clock=clock.now,
    )
    sim.make_trust(TRUST, name=TRUST_NAME)
    sim.rate_provider(TRUST, GOOD, report_date="2024-03-01")
    with (
        sim.serve() as server,
        SmtpServer() as smtp,
        WebhookReceiver() as hook,
        WebhookReceiver() as chat,
    ):
        yield Stage(sim, clock, server.base_url, database_url, smtp, hook, chat)


def _cli(stage: Stage, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = write_config(folder, stage.base_url, database_url=stage.database_url)
    return run_cli(config, *args)


def test_a_trust_downgrade_reaches_every_sink_once_naming_the_trust(
    stage: Stage, tmp_path: Path
) -> None:
    baseline = stage.cycle("full", days=0)
    # The trust's own document is a silent baseline, as its hospital's and Lucerne's are.
    assert baseline.events == [] and baseline.baselines == 3
    assert stage.smtp.messages == [] and stage.hook.requests == []
    # The summary says what was checked: two locations and the trust itself.
    assert ": 2 locations and 1 provider checked, " in baseline.summary()

    stage.clock.advance(hours=2)
    link = stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    stage.sim.set_report_text(link, excerpts=("05b",))
    report = stage.cycle()

    assert sorted(event.type for event in report.events) == [
        "provider_new_report",
        "provider_rating_changed",
    ]
    (changed,) = stage.hooked("provider_rating_changed")
    assert changed["severity"] == "critical"
    assert changed["location"] is None
    assert changed["provider"] == {
        "id": TRUST,
        "name": TRUST_NAME,
        "url": f"https://www.cqc.org.uk/provider/{TRUST}",
    }
    rows = {
        row["question"]: (row["old"], row["new"], row["direction"])
        for row in changed["details"]["changes"]
    }
    assert rows == {
        "Overall": ("Good", "Requires improvement", "declined"),
        "Safe": ("Good", "Requires improvement", "declined"),
        "Well-led": ("Good", "Inadequate", "declined"),
        "Use of resources": ("Good", "Requires improvement", "declined"),
    }
    assert changed["details"]["report_link_id"] == link
    assert TRUST_NAME in changed["summary"]
    # The report arrives with what its text found (05b: six breaches, special measures).
    (new_report,) = stage.hooked("provider_new_report")
    assert new_report["provider"]["id"] == TRUST and new_report["location"] is None
    assert new_report["details"]["report_link_id"] == link
    assert new_report["details"]["report_type"] == "Provider"
    assert new_report["details"]["findings"]["breaches"] == 6
    # The webhook sink and the board's (providers filter, critical only) each got both.
    assert len(stage.hook.requests) == 4
    for request in stage.hook.requests:
        assert verify_signature(SECRET, request.headers, request.body)
    # The email names the trust; its body carries every declined row.
    (message,) = stage.smtp.messages
    assert message["Subject"].startswith(f"[CQC] CRITICAL {TRUST_NAME}: 2 changes")
    text, _ = bodies(message)
    for line in (
        "Overall: Good → Requires improvement",
        "Well-led: Good → Inadequate",
        "Use of resources: Good → Requires improvement",
        "CQC provider page",
    ):
        assert line in text
    # The chat message too.
    (posted,) = [request.json() for request in stage.chat.requests]
    assert TRUST_NAME in posted["title"] and posted["type"] == "failure"
    assert "Use of resources: Good → Requires improvement" in posted["message"]

    # The same downgrade seen again (a quiet feed entry) raises nothing more.
    stage.sim.make_trust(TRUST)
    again = stage.cycle()
    assert again.events == []
    assert len(stage.smtp.messages) == 1

    # The audit trail: history of the trust, and changes of the new type.
    history = _cli(stage, tmp_path, "history", TRUST, "--format", "json")
    assert history.returncode == 0, history.stderr
    trail = json.loads(history.stdout)
    assert {e["event"]["type"] for e in trail if e["kind"] == "event"} == {
        "provider_new_report",
        "provider_rating_changed",
    }
    assert [e["ratings"]["Overall"] for e in trail if e["kind"] == "snapshot"] == [
        "Good",
        "Requires improvement",
    ]
    listed = _cli(
        stage, tmp_path, "changes", "--type", "provider_rating_changed", "--format", "csv"
    )
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout.lstrip("\ufeff"))))
    assert len(rows) == 1  # one row per event, its changed ratings in its summary
    assert rows[0]["provider_id"] == TRUST and rows[0]["provider"] == TRUST_NAME
    assert "Overall: Good → Requires improvement" in rows[0]["summary"]


def test_a_new_provider_report_alone_is_provider_new_report(stage: Stage) -> None:
    stage.cycle("full", days=0)
    stage.clock.advance(hours=2)
    link = stage.sim.add_provider_report(
        TRUST, report_date=stage.clock.now().date(), first_visit_date="2026-09-14"
    )
    report = stage.cycle()

    assert [event.type for event in report.events] == ["provider_new_report"]
    (event,) = stage.hooked("provider_new_report")
    assert event["details"]["report_link_id"] == link
    assert event["details"]["report_url"] == (
        f"https://www.cqc.org.uk/provider/{TRUST}/reports/{link}"
    )
    assert event["details"]["findings"] is not None  # its text was read in its cycle
    (message,) = stage.smtp.messages
    assert message["Subject"].startswith(f"[CQC] INFO {TRUST_NAME}: ")


def test_an_inherited_rating_and_unchanged_hospitals_stay_quiet(stage: Stage) -> None:
    stage.cycle("full", days=0)
    # A key question carried over from a predecessor trust: the document moves, the
    # trust's judgement does not.
    stage.sim.inherit_provider_rating(
        TRUST,
        "Effective",
        "Requires improvement",
        predecessor="1-101000001",
        report_date="2026-10-20",
    )
    report = stage.cycle()
    assert report.events == []
    # A full review re-reads the trust and every hospital: nothing changed, nothing said.
    review = stage.cycle("full")
    assert review.events == [] and review.changed == 0
    assert stage.smtp.messages == [] and stage.hook.requests == []
    assert stage.chat.requests == []

    app = stage.app()
    with app.sessions() as session:
        kinds = {row.id: row.kind for row in session.execute(select(Location.id, Location.kind))}
    assert kinds[TRUST] == "provider" and kinds[docs.HENLEY] == "location"


def test_a_provider_added_to_the_watchlist_is_fetched_by_the_next_poll(stage: Stage) -> None:
    stage.cycle("full", days=0, providers=())
    stage.clock.advance(hours=12)
    stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    stage.cycle(providers=())  # the feed window that lists the trust passes unwatched
    # The trust joins the watchlist: the next daily poll fetches it although the provider
    # feed no longer lists it (nor its hospital, newly watched with it). A rating published
    # before it was watched is its baseline.
    report = stage.cycle()
    assert report.events == [] and report.baselines == 2
    app = stage.app()
    with app.sessions() as session:
        row = session.get(Location, TRUST)
        assert row is not None and row.kind == "provider" and row.last_hash is not None
        assert row.overall_rating == "Requires improvement"
        # status counts the watched providers apart from the locations.
        status = read_status(session, stage.clock.now())
    assert status["providers"] == {
        "active": 1,
        "unbaselined": 0,
        "failing": 0,
        "gone": 0,
        "unknown": 0,
    }
    assert status["locations"]["active"] == 2
    # And /metrics, as cqc_monitor_providers{state}.
    with app.sessions() as session:
        figures = read_figures(session)
    assert figures.providers["active"] == 1 and figures.locations["active"] == 2


def test_a_trust_rated_on_the_day_it_is_first_watched_is_alerted(stage: Stage) -> None:
    stage.cycle("full", days=0, providers=())
    stage.clock.advance(days=1)
    stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    report = stage.cycle(days=0)
    # First sight, but dated on the day the trust entered the watchlist: news, not baseline.
    assert "provider_rating_changed" in {event.type for event in report.events}


def test_the_dashboard_shows_the_trust_its_rating_timeline_and_its_locations(
    stage: Stage,
) -> None:
    stage.cycle("full", days=0)
    stage.clock.advance(hours=2)
    stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    stage.cycle()

    with serving(stage.database_url) as base:
        http = client()
        listing = http.get(f"{base}/providers", timeout=10)
        assert listing.status_code == 200
        assert TRUST_NAME in listing.text and "Requires improvement" in listing.text
        # Providers are not locations: the Locations page lists the hospitals only.
        locations = http.get(f"{base}/locations", timeout=10).text
        assert TRUST_NAME not in locations and "Henley House" in locations
        page = http.get(f"{base}/providers/{TRUST}", timeout=10)
        assert page.status_code == 200
        for shown in (
            TRUST_NAME,
            f"https://www.cqc.org.uk/provider/{TRUST}",
            'id="chart-use of resources"',
            'id="chart-overall"',
            "provider_rating_changed",
            "Its locations",
            "Henley House",
            '<th scope="row">Provider</th>',
        ):
            assert shown in page.text, shown
        # The trust's own events link to /locations/{id}: that shows the provider page too.
        same = http.get(f"{base}/locations/{TRUST}", timeout=10)
        assert same.status_code == 200 and "Its locations" in same.text
        assert http.get(f"{base}/providers/{docs.HENLEY}", timeout=10).status_code == 404


def test_a_trust_is_watched_beside_saved_searches(stage: Stage) -> None:
    # Saved searches judge the locations a cycle fetches; the trust's own document is no
    # member of any, and is diffed all the same.
    stage.searches = ({"name": "suffolk", "localAuthority": "Suffolk"},)
    stage.cycle("full", days=0)
    stage.clock.advance(hours=2)
    stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    report = stage.cycle()
    assert "provider_rating_changed" in {event.type for event in report.events}
    (changed,) = stage.hooked("provider_rating_changed")
    assert changed["provider"]["id"] == TRUST and changed["severity"] == "critical"


def test_checking_only_the_trust_reads_its_own_document(stage: Stage) -> None:
    stage.cycle("full", days=0)
    stage.clock.advance(hours=2)
    stage.sim.rate_provider(TRUST, DOWNGRADE, report_date=stage.clock.now().date())
    # `check --location ID` with a watched provider's id: its own document, not a location's.
    app = stage.app()
    report = app.review().run("incremental", only=[TRUST])
    assert report.locations == 1 and report.errors == 0
    assert "provider_rating_changed" in {event.type for event in report.events}
    with app.sessions() as session:
        row = session.get(Location, TRUST)
        assert row is not None and row.kind == "provider" and row.status == "active"
