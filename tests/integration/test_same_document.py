"""A full review that finds a document byte for byte as it was: not normalised again, yet
checked, logged and decided as before (real database; SQLite file, PostgreSQL in CI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.services import observe
from monitor.store.tables import EventRecord, Fetch, Location
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


def make_app(database_url: str, cqc: FakeCqc, clock: FakeClock, **sections: Any) -> App:
    sections.setdefault("watch", {"locations": WATCHED})
    sections["sinks"] = [{"name": "everything", "type": "console"}]
    settings = settings_for(database_url, **sections)
    return app_for(settings, api=cqc, clock=clock, sinks={"everything": RecordingSink("x")})


@pytest.fixture
def normalised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids whose documents were normalised (``parse_location``), in order."""
    seen: list[str] = []
    parse = observe.parse_location

    def counting(data: Any, expected_id: str) -> Any:
        seen.append(expected_id)
        return parse(data, expected_id)

    monkeypatch.setattr(observe, "parse_location", counting)
    return seen


def checked_at(app: App) -> dict[str, datetime | None]:
    with app.sessions() as session:
        rows = session.execute(select(Location.id, Location.last_checked_at))
        return {location_id: checked for location_id, checked in rows}


def fetches(app: App) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Fetch)) or 0)


def test_a_steady_review_checks_and_logs_every_location_without_normalising_it(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock)
    assert app.review().run("full").baselines == 3
    assert sorted(normalised) == sorted(WATCHED)
    normalised.clear()

    clock.advance(hours=6)
    steady = app.review().run("full")

    assert (steady.unchanged, steady.changed, steady.errors, steady.events) == (3, 0, 0, [])
    assert normalised == []  # the same bytes as last time: nothing to normalise
    assert set(checked_at(app).values()) == {clock.now()}
    assert fetches(app) == 6


def test_a_changed_document_is_still_read_and_alerted(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock)
    app.review().run("full")
    app.review().run("full")
    normalised.clear()

    cqc.documents[docs.HENLEY] = docs.set_key_question(docs.real(docs.HENLEY), "Safe", "Inadequate")
    clock.advance(days=1)
    report = app.review().run("full")

    assert normalised == [docs.HENLEY]
    assert (report.changed, report.unchanged) == (1, 2)
    (event,) = report.events
    assert (event.type, event.severity) == ("rating_changed", "critical")


def test_a_location_that_failed_is_read_in_full_again_and_recovers(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock, alerts={"failing_after": 1})
    app.review().run("full")

    cqc.errors[docs.ALLIED] = "HTTP 503 after 5 attempts"
    failing = app.review().run("full")
    assert [e.type for e in failing.events] == ["monitor_failing"]

    del cqc.errors[docs.ALLIED]  # the very bytes it was settled on before the failure
    normalised.clear()
    report = app.review().run("full")

    assert normalised == [docs.ALLIED]
    assert [e.type for e in report.events] == ["monitor_recovered"]
    with app.sessions() as session:
        allied = session.get(Location, docs.ALLIED)
        assert allied is not None
        assert (allied.consecutive_failures, allied.last_error, allied.failing_alerted) == (
            0,
            None,
            False,
        )
    normalised.clear()
    assert app.review().run("full").unchanged == 3
    assert normalised == []  # healthy again: its next review need not read it in full


def test_a_document_that_could_not_be_processed_is_processed_again(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock, alerts={"failing_after": 1})
    app.review().run("full")
    good = cqc.documents[docs.LUCERNE]

    cqc.documents[docs.LUCERNE] = {**good, "locationId": docs.HENLEY}  # not Lucerne's
    broken = app.review().run("full")
    assert broken.errors == 1

    cqc.documents[docs.LUCERNE] = good
    normalised.clear()
    report = app.review().run("full")

    assert docs.LUCERNE in normalised
    assert report.errors == 0
    assert [e.type for e in report.events] == ["monitor_recovered"]


def test_a_removed_location_that_comes_back_is_read_in_full(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock)
    app.review().run("full")
    document = cqc.documents.pop(docs.HENLEY)
    assert [e.type for e in app.review().run("full").events] == ["location_removed"]

    cqc.documents[docs.HENLEY] = document
    normalised.clear()
    report = app.review().run("full")

    assert normalised == [docs.HENLEY]
    with app.sessions() as session:
        henley = session.get(Location, docs.HENLEY)
        assert henley is not None and henley.status == "active"
    assert report.errors == 0


def test_a_new_release_reads_every_document_in_full_once(
    database_url: str, normalised: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock)
    app.review().run("full")
    normalised.clear()

    monkeypatch.setattr(observe, "_SALT", b"cqc-monitor 99.0\n")  # what an upgrade changes
    assert app.review().run("full").unchanged == 3
    assert sorted(normalised) == sorted(WATCHED)
    normalised.clear()
    assert app.review().run("full").unchanged == 3
    assert normalised == []


def test_checking_named_locations_uses_their_digests_and_writes_no_event(
    database_url: str, normalised: list[str]
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = make_app(database_url, cqc, clock)
    app.review().run("full")
    normalised.clear()

    report = app.review().run("incremental", only=[docs.HENLEY])

    assert (report.locations, report.unchanged) == (1, 1)
    assert normalised == []
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRecord)) == 0
