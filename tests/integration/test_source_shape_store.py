"""The learned shape and its changes in a real database (SQLite file; PostgreSQL in CI): what
``source shape``, ``source ack``, ``status``, the dashboard and ``/metrics`` read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.shape import ShapeReader
from monitor.domain.shape_watch import PATH_ADDED, VALUE_ADDED, Known, Novelty, ShapeTally
from monitor.runtime.metrics import Metrics
from monitor.store import source_changes as changes
from monitor.store import source_shape as store
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.figures import read_figures
from monitor.store.migrate import upgrade
from monitor.store.status import read_status
from monitor.store.tables import Location, SourceChange, SourceShapePath
from tests.support import documents as docs

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
NEW_FIELD = Novelty(PATH_ADDED, "location", "currentRatings.overall.scoreBand")
NEW_LABEL = Novelty(
    VALUE_ADDED, "location", "currentRatings.overall.rating", "rating", "Exceptional"
)


def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def scrape(factory: sessionmaker[Session]) -> Any:
    """What ``/metrics`` reads from the database at scrape time."""
    with factory() as session:
        return read_figures(session)


def read_documents(*location_ids: str) -> ShapeTally:
    tally = ShapeTally(Known({}, {}), learning=True)
    reader = ShapeReader()
    for location_id in location_ids:
        tally.add("location", location_id, reader.read(docs.real(location_id)))
    return tally


def test_counts_add_up_across_writes(engine: Engine) -> None:
    factory = sessions(engine)
    for location_ids in ((docs.HENLEY, docs.LUCERNE), (docs.ALLIED,)):
        with factory.begin() as session:
            store.add_counts(session, read_documents(*location_ids).fresh(), NOW)

    with factory() as session:
        learned = store.load_learned(session)
        shape = changes.shape_report(session)
    counts = learned.counts["location"]
    assert counts.documents == 3
    assert counts.paths["locationId"] == 3
    assert counts.paths["historicRatings"] == 1
    assert learned.learned_at is None
    assert "Outstanding" in learned.values["rating"]
    good = next(v for v in shape["values"]["rating"] if v["value"] == "Good")
    assert good["documents"] == 2  # Allied Healthcare has no published rating at all
    assert shape["kinds"]["location"]["documents"] == 3


def test_a_change_is_claimed_once_and_becomes_learned(engine: Engine) -> None:
    factory = sessions(engine)
    with factory.begin() as session:
        first = store.claim(session, [(NEW_FIELD, ["1-1"]), (NEW_LABEL, ["1-2"])], NOW, None)
    with factory.begin() as session:
        again = store.claim(session, [(NEW_FIELD, ["1-3"])], NOW + timedelta(days=1), None)

    assert [n for n, _ in first] == [NEW_FIELD, NEW_LABEL]
    assert again == []
    with factory() as session:
        learned = store.load_learned(session)
        rows = session.scalars(select(SourceChange).order_by(SourceChange.key)).all()
    assert "currentRatings.overall.scoreBand" in learned.counts["location"].paths
    assert learned.values["rating"] == ["Exceptional"]
    assert [(r.key, r.examples) for r in rows] == [
        ("path_added:location:currentRatings.overall.scoreBand", ["1-1"]),
        ("value_added:rating:exceptional", ["1-2"]),
    ]


def test_two_processes_claiming_at_once_record_one_change(database_url: str) -> None:
    """Two engines (as two replicas have) claim the same change in overlapping transactions:
    one gets it, the other waits for it (PostgreSQL) or for the file (SQLite), then skips it."""
    engines = [make_engine(database_url) for _ in range(2)]
    upgrade(engines[0])
    results: list[int] = []
    barrier = threading.Barrier(2)

    def replica(engine: Engine) -> None:
        barrier.wait()
        with make_session_factory(engine).begin() as session:
            results.append(len(store.claim(session, [(NEW_LABEL, ["1-1"])], NOW, None)))

    threads = [threading.Thread(target=replica, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()

    assert sorted(results) == [0, 1]


def test_acknowledging_clears_the_attention_status_and_the_gauge(engine: Engine) -> None:
    factory = sessions(engine)
    with factory.begin() as session:
        store.claim(session, [(NEW_FIELD, ["1-1"]), (NEW_LABEL, ["1-2"])], NOW, None)
        store.mark_learned(session, NOW - timedelta(days=30), None)
    with factory() as session:
        section = read_status(session, NOW)["source_shape"]
        gauge = read_figures(session).source_changes_unacknowledged
    metrics = Metrics(lambda: scrape(factory)).render().decode()

    assert section["learned_at"] == NOW - timedelta(days=30)
    assert section["unacknowledged"] == gauge == 2
    assert [c["path"] for c in section["changes"]] == [
        "currentRatings.overall.rating",
        "currentRatings.overall.scoreBand",
    ]
    assert "cqc_monitor_source_changes_unacknowledged 2.0" in metrics

    with factory.begin() as session:
        first_id = section["changes"][0]["id"]
        assert changes.acknowledge(session, NOW, "ops", ids=[first_id]) == 1
    with factory.begin() as session:
        assert changes.acknowledge(session, NOW, "ops") == 1
        assert changes.acknowledge(session, NOW, "ops") == 0
    with factory() as session:
        section = read_status(session, NOW)["source_shape"]
        gauge = read_figures(session).source_changes_unacknowledged
    assert section["unacknowledged"] == gauge == 0
    assert {c["acknowledged_by"] for c in section["changes"]} == {"ops"}


def test_status_lists_the_last_30_days_and_older_changes_still_waiting(engine: Engine) -> None:
    factory = sessions(engine)
    old = NOW - timedelta(days=45)
    with factory.begin() as session:
        store.claim(session, [(NEW_FIELD, ["1-1"])], old, None)
        store.claim(session, [(NEW_LABEL, ["1-2"])], old, None)
        acknowledged = session.scalars(
            select(SourceChange.id).where(SourceChange.key.like("path_added%"))
        ).all()
        changes.acknowledge(session, old, "ops", ids=list(acknowledged))

    with factory() as session:
        listed = changes.status(session, NOW)["changes"]

    # Acknowledged 45 days ago: no longer listed. Never acknowledged: listed however old.
    assert [c["value"] for c in listed] == ["Exceptional"]


def test_the_dashboard_panel_counts_documents_and_paths(engine: Engine) -> None:
    factory = sessions(engine)
    with factory.begin() as session:
        store.add_counts(session, read_documents(docs.HENLEY).fresh(), NOW)
        session.add(Location(id="1-1", name="Somewhere", status="active", first_seen_at=NOW))
        session.flush()
        location = store.example_location(session, ["1-unknown", "1-1"])
        fallback = store.example_location(session, ["1-unknown"])
        paths = session.scalar(select(SourceShapePath.path).limit(1))
        panel = changes.panel(session, NOW)

    assert location is not None and (location.id, location.name) == ("1-1", "Somewhere")
    assert fallback is not None and fallback.id == "1-1"  # the first watched location
    assert paths is not None
    assert panel["kinds"]["location"]["documents"] == 1
    assert panel["kinds"]["location"]["paths"] > 50
    assert panel["learned_at"] is None
