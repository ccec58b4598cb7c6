"""Ids that leave the watchlist keep their audit trail and stop being counted as watched;
named again, they are watched again. Whole review cycles on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.store.runstate import location_states
from monitor.store.tables import Location, SnapshotRecord
from tests.fakes import FakeClock, FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.dashboard import client, serving

EVERY = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


def watching(database_url: str, cqc: FakeCqc, clock: FakeClock, ids: list[str]) -> App:
    settings = settings_for(database_url, watch={"locations": ids})
    return app_for(settings, api=cqc, clock=clock, sinks={})


def unwatched(app: App) -> dict[str, datetime | None]:
    with app.sessions() as session:
        rows = session.execute(select(Location.id, Location.unwatched_at))
        return {row.id: row.unwatched_at for row in rows}


def test_ids_leaving_the_watchlist_are_kept_but_not_counted(database_url: str) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    watching(database_url, cqc, clock, EVERY).review().run("full")

    clock.advance(days=1)
    narrower = watching(database_url, cqc, clock, [docs.HENLEY])
    narrower.review().run("incremental")

    left = unwatched(narrower)
    assert left[docs.HENLEY] is None
    assert left[docs.LUCERNE] == left[docs.ALLIED] == clock.now()
    with narrower.sessions() as session:
        assert location_states(session)["active"] == 1
        kept = session.scalars(select(SnapshotRecord.location_id)).all()
    assert sorted(kept) == sorted(EVERY), "their snapshots stay as the audit trail"

    clock.advance(days=1)
    wider = watching(database_url, cqc, clock, EVERY)
    wider.review().run("incremental")
    assert set(unwatched(wider).values()) == {None}
    with wider.sessions() as session:
        assert location_states(session)["active"] == 3


def test_a_spot_check_outside_the_watchlist_stores_what_it_met_as_unwatched(
    database_url: str,
) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = watching(database_url, cqc, clock, [docs.HENLEY])
    app.review().run("full")

    app.review().run("full", only=[docs.LUCERNE, docs.HENLEY])

    left = unwatched(app)
    assert left == {docs.HENLEY: None, docs.LUCERNE: clock.now()}
    with app.sessions() as session:
        assert location_states(session)["active"] == 1


def test_watching_the_whole_register_watches_every_stored_location(database_url: str) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    watching(database_url, cqc, clock, EVERY).review().run("full")
    clock.advance(days=1)
    watching(database_url, cqc, clock, [docs.HENLEY]).review().run("incremental")

    clock.advance(days=1)
    settings = settings_for(database_url, watch={"all": True})
    everything = app_for(settings, api=cqc, clock=clock, sinks={})
    everything.review().run("incremental")

    assert set(unwatched(everything).values()) == {None}
    with everything.sessions() as session:
        assert location_states(session)["active"] == 3


def test_a_provider_cqc_cannot_list_leaves_its_locations_watched(database_url: str) -> None:
    # The provider's locations: one known, one CQC has never answered for (a 404).
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    cqc.providers["1-101"] = [docs.HENLEY, "1-12345"]
    settings = settings_for(database_url, watch={"locations": [], "providers": ["1-101"]})
    app = app_for(settings, api=cqc, clock=clock, sinks={})
    app.review().run("full")
    assert unwatched(app) == {docs.HENLEY: None, "1-12345": None}

    del cqc.providers["1-101"]  # CQC cannot list the provider's locations for a while
    clock.advance(days=1)
    app.review().run("incremental")

    assert unwatched(app) == {docs.HENLEY: None, "1-12345": None}
    with app.sessions() as session:
        assert location_states(session)["unknown"] == 1


def test_an_id_back_in_the_watchlist_is_watched_anew_from_that_day(database_url: str) -> None:
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()  # 2026-11-29
    watching(database_url, cqc, clock, EVERY).review().run("full")
    clock.advance(days=1)
    watching(database_url, cqc, clock, [docs.LUCERNE]).review().run("incremental")

    # While it was not watched, CQC published an inspection of Henley House.
    away = docs.rate_with_report(
        docs.real(docs.HENLEY), {"Overall": "Inadequate"}, "report-9", "2026-12-01"
    )
    cqc.documents[docs.HENLEY] = away
    clock.advance(days=5)  # 2026-12-05: back in the watchlist
    back = watching(database_url, cqc, clock, EVERY)
    cqc.fetched.clear()
    returned = back.review().run("incremental")

    assert docs.HENLEY in cqc.fetched, "fetched by the next cycle, as any new entry is"
    assert returned.events == [], "what CQC published before it came back is old news"
    assert unwatched(back)[docs.HENLEY] is None

    cqc.documents[docs.HENLEY] = docs.rate_with_report(
        away, {"Safe": "Inadequate"}, "r-10", "2026-12-06"
    )
    cqc.changed = [docs.HENLEY]
    clock.advance(days=1)
    (event, *_) = back.review().run("incremental").events
    assert event.type == "rating_changed"
    assert [(c["question"], c["new"]) for c in event.details["changes"]] == [("Safe", "Inadequate")]


def test_the_dashboard_lists_an_id_that_left_as_unwatched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    watching(url, cqc, clock, EVERY).review().run("full")
    clock.advance(days=1)
    watching(url, cqc, clock, [docs.HENLEY, docs.ALLIED]).review().run("incremental")

    with serving(url) as base:
        listed = client().get(f"{base}/locations?state=unwatched", timeout=10).text
        active = client().get(f"{base}/locations?state=active", timeout=10).text

    assert docs.LUCERNE in listed and docs.HENLEY not in listed
    assert '<span class="state unwatched">unwatched</span>' in listed
    assert docs.LUCERNE not in active and docs.HENLEY in active
