"""The dashboard's read queries and the summary columns they read, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from monitor.domain.ratings import SCALE
from monitor.store import dashboard_deliveries as deliveries
from monitor.store import dashboard_locations as locations
from monitor.store import dashboard_queries as queries
from monitor.store import migrate
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.tables import Location
from tests.fakes import FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def watched_world(database_url: str) -> FakeCqc:
    """Three real locations baselined, then Henley downgraded and one delivery dead."""
    cqc = FakeCqc({i: docs.real(i) for i in (docs.HENLEY, docs.LUCERNE, docs.ALLIED)})
    sinks = [{"name": "ops", "type": "console"}, {"name": "pager", "type": "console"}]
    settings = settings_for(
        database_url,
        watch={"locations": [docs.HENLEY, docs.LUCERNE, docs.ALLIED]},
        sinks=sinks,
    )
    app = app_for(
        settings, api=cqc, sinks={"ops": RecordingSink("ops"), "pager": RecordingSink("pager")}
    )
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.rate_with_report(
        docs.real(docs.HENLEY), {"Overall": "Inadequate"}, "report-9", "2029-12-01"
    )
    app.review().run("full")
    with app.sessions.begin() as session:
        session.execute(
            text("UPDATE deliveries SET status = 'dead', last_error = 'gone' WHERE sink = 'pager'")
        )
    return cqc


def test_the_store_keeps_each_locations_summary(database_url: str) -> None:
    watched_world(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            henley = session.get(Location, docs.HENLEY)
            assert henley is not None
            assert henley.overall_rating == "Inadequate"
            assert (henley.region, henley.local_authority) == ("East", "Suffolk")
    finally:
        engine.dispose()


def test_every_page_query_answers(database_url: str) -> None:
    watched_world(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            overview = queries.overview(session, NOW)
            assert overview.states["active"] == 3
            assert dict(overview.ratings)["Inadequate"] == 1
            assert [b.sink for b in overview.backlog] == ["ops", "pager"]
            ops, pager = overview.backlog
            assert pager.dead == ops.pending > 0 and pager.pending == 0

            wanted = queries.ChangeFilter(types=("rating_changed",), location="henley%")
            assert queries.changes(session, wanted, 1, 50).total == 0  # % is no wildcard
            wanted = queries.ChangeFilter(
                types=("rating_changed",), area="suffolk", location="HENLEY"
            )
            page = queries.changes(session, wanted, 1, 50)
            assert [row.location_id for row in page.rows] == [docs.HENLEY]
            assert "Overall: Good → Inadequate" in page.rows[0].summary

            listed = locations.locations(
                session, locations.LocationFilter(), sort="rating", descending=True
            )
            ranks = [SCALE.get(row.overall_rating or "", 0) for row in listed.rows]
            assert ranks == sorted(ranks, reverse=True) and listed.total == 3
            assert SCALE["Inadequate"] in ranks
            assert "Suffolk" in locations.areas(session)

            detail = locations.location_detail(session, docs.HENLEY)
            assert detail is not None and len(detail.snapshots) == 2
            downgrade = next(e for e in detail.events if e.type == "rating_changed")
            statuses = {d.sink: d.status for d in detail.deliveries[downgrade.id]}
            assert statuses == {"ops": "pending", "pager": "dead"}
            dead = deliveries.deliveries(session, "pager", ("dead",), 1, 10)
            assert dead.total == pager.dead and dead.rows[0].last_error == "gone"
    finally:
        engine.dispose()


def test_the_migration_fills_the_summary_from_stored_snapshots(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0002")
        data = {
            "region": "London",
            "local_authority": "Camden",
            "ratings": [
                {"question": "Overall", "service": None, "rating": "Good"},
                {"question": "Overall", "service": "Surgery", "rating": "Inadequate"},
            ],
        }
        _old_rows(engine, json.dumps(data))
        migrate.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                select(Location.region, Location.local_authority, Location.overall_rating)
            ).one()
        assert tuple(row) == ("London", "Camden", "Good")
    finally:
        engine.dispose()


def _old_rows(engine: Engine, data: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO locations (id, status, first_seen_at, consecutive_failures, "
                "failing_alerted, last_hash) VALUES ('1-1', 'active', :t, 0, false, 'h')"
            ),
            {"t": NOW},
        )
        value = "CAST(:d AS JSONB)" if engine.dialect.name == "postgresql" else ":d"
        snapshot = connection.execute(
            text(
                "INSERT INTO snapshots (location_id, fetched_at, content_hash, data) "
                f"VALUES ('1-1', :t, 'h', {value}) RETURNING id"
            ),
            {"t": NOW, "d": data},
        ).scalar()
        connection.execute(text("UPDATE locations SET last_snapshot_id = :s"), {"s": snapshot})
