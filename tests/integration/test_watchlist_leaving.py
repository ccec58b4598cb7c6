"""Ids that leave the watchlist keep their audit trail and stop being counted as watched;
named again, they are watched again. Whole review cycles on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.store.runstate import location_states
from monitor.store.tables import Location, SnapshotRecord
from tests.fakes import FakeClock, FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

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
