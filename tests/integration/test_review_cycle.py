"""The review cycle against a real database (SQLite file; PostgreSQL in CI)."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.services.review import CycleAbandoned
from monitor.store.tables import (
    Cycle,
    Delivery,
    EventRecord,
    FeedWatermark,
    Fetch,
    Location,
    SnapshotRecord,
)
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


def make_app(
    database_url: str, cqc: FakeCqc, clock: FakeClock | None = None, **sections: Any
) -> App:
    sections.setdefault("watch", {"locations": WATCHED})
    sections.setdefault(
        "sinks",
        [
            {"name": "everything", "type": "console"},
            {"name": "critical-only", "type": "console", "min_severity": "critical"},
        ],
    )
    settings = settings_for(database_url, **sections)
    sinks = {s["name"]: RecordingSink(s["name"]) for s in sections["sinks"]}
    app = app_for(settings, api=cqc, clock=clock or FakeClock(), sinks=sinks)
    return app


def count(app: App, table: Any) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_first_cycle_is_a_silent_baseline_then_changes_become_events(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    clock = FakeClock()
    app = make_app(database_url, cqc, clock)

    first = app.review().run("full")
    assert (first.baselines, first.events) == (3, [])
    assert count(app, SnapshotRecord) == 3
    assert count(app, EventRecord) == 0

    cqc.documents[docs.HENLEY] = docs.set_key_question(docs.real(docs.HENLEY), "Safe", "Inadequate")
    clock.advance(days=1)
    second = app.review().run("full")

    assert (second.changed, second.unchanged) == (1, 2)
    (event,) = second.events
    assert (event.type, event.severity) == ("rating_changed", "critical")
    assert count(app, SnapshotRecord) == 4
    with app.sessions() as session:
        record = session.get(EventRecord, event.id)
        assert record is not None and record.payload["details"]["changes"][0]["new"] == "Inadequate"
        before = session.get(SnapshotRecord, record.before_snapshot_id)
        after = session.get(SnapshotRecord, record.after_snapshot_id)
        assert before is not None and after is not None
        assert before.data["ratings"][1]["rating"] == "Good"
        assert after.data["ratings"][1]["rating"] == "Inadequate"
        # The outbox row for each matching sink was written with the event.
        sinks = sorted(session.scalars(select(Delivery.sink).where(Delivery.event_id == event.id)))
        assert sinks == ["critical-only", "everything"]


def test_unchanged_refetch_writes_no_snapshot_and_no_event_but_logs_the_fetch(
    database_url: str,
) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    app.review().run("full")
    report = app.review().run("full")

    assert (report.unchanged, report.events) == (3, [])
    assert count(app, SnapshotRecord) == 3
    assert count(app, Fetch) == 6
    with app.sessions() as session:
        outcomes = sorted(session.scalars(select(Fetch.outcome)))
    assert outcomes == ["baseline"] * 3 + ["unchanged"] * 3


def test_raw_payload_is_kept_compressed_without_personal_names(database_url: str) -> None:
    app = make_app(database_url, FakeCqc(docs.all_real()))
    app.review().run("full")
    with app.sessions() as session:
        raw = session.scalar(
            select(SnapshotRecord.raw).where(SnapshotRecord.location_id == docs.HENLEY)
        )
    assert raw is not None
    text = zlib.decompress(raw).decode()
    assert '"locationId":"1-10000302982"' in text
    assert "personGivenName" not in text and "Redacted" not in text


def test_malformed_document_is_an_error_for_that_location_only(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    app.review().run("full")

    broken = docs.variant(docs.real(docs.HENLEY))
    broken["currentRatings"] = "garbage"
    cqc.documents[docs.HENLEY] = broken
    cqc.documents[docs.LUCERNE] = docs.deregister(docs.real(docs.LUCERNE), "2026-11-28")
    report = app.review().run("full")

    assert report.errors == 1
    assert [e.type for e in report.events] == ["registration_changed"]
    assert count(app, SnapshotRecord) == 4  # only Lucerne's new snapshot
    with app.sessions() as session:
        error = session.scalar(select(Fetch.error).where(Fetch.outcome == "error"))
    assert error is not None and "malformed document" in error


def test_failing_location_alerts_once_after_n_cycles_then_recovers(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc, alerts={"failing_after": 2})
    app.review().run("full")

    cqc.errors[docs.ALLIED] = "HTTP 503 after 5 attempts"
    kinds = [[e.type for e in app.review().run("full").events] for _ in range(3)]
    assert kinds == [[], ["monitor_failing"], []]

    del cqc.errors[docs.ALLIED]
    (recovered,) = app.review().run("full").events
    assert recovered.type == "monitor_recovered"
    assert recovered.details == {
        "consecutive_failures": 3,
        "last_error": "HTTP 503 after 5 attempts",
    }


def test_location_that_now_404s_is_removed_once(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    app.review().run("full")

    del cqc.documents[docs.LUCERNE]
    (event,) = app.review().run("full").events
    assert (event.type, event.severity, event.details) == (
        "location_removed",
        "critical",
        {"http_status": 404},
    )
    assert app.review().run("full").events == []
    with app.sessions() as session:
        location = session.get(Location, docs.LUCERNE)
        assert location is not None and location.status == "gone"


def test_incremental_cycle_uses_the_change_feed_and_persists_the_watermark(
    database_url: str,
) -> None:
    cqc = FakeCqc({**docs.all_real(), "1-999": {**docs.real(docs.HENLEY), "locationId": "1-999"}})
    clock = FakeClock()
    app = make_app(database_url, cqc, clock)

    first = app.review().run("incremental")  # no watermark yet: a full review
    assert first.kind == "full"
    started = clock.now()

    clock.advance(days=1)
    cqc.fetched.clear()
    cqc.changed = [docs.LUCERNE, "1-999"]  # 1-999 is not watched
    cqc.documents[docs.LUCERNE] = docs.add_report(
        docs.real(docs.LUCERNE), "r-new", "2026-11-28", "2026-11-01"
    )
    second = app.review().run("incremental")

    # The poll starts where the last one ended, re-reading the configured overlap.
    assert cqc.windows == [(started - timedelta(minutes=60), clock.now())]
    assert cqc.fetched == [docs.LUCERNE]
    assert [e.type for e in second.events] == ["new_inspection"]

    clock.advance(days=1)
    cqc.changed = []
    app.review().run("incremental")
    assert cqc.windows[-1][0] == cqc.windows[-2][1] - timedelta(minutes=60)
    with app.sessions() as session:
        watermark = session.get(FeedWatermark, "changes/location")
        assert watermark is not None and watermark.value == clock.now()
        statuses = list(session.scalars(select(Cycle.status)))
    assert statuses == ["completed"] * 3


def test_failed_locations_are_retried_by_the_next_incremental_cycle(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    cqc.errors[docs.HENLEY] = "timeout"
    app.review().run("full")
    del cqc.errors[docs.HENLEY]
    cqc.fetched.clear()

    report = app.review().run("incremental")
    assert cqc.fetched == [docs.HENLEY]
    assert report.baselines == 1


def test_provider_watch_expands_to_its_locations(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    cqc.providers["1-102642938"] = [docs.HENLEY, docs.ALLIED]
    app = make_app(database_url, cqc, watch={"providers": ["1-102642938"]})
    report = app.review().run("full")
    assert report.baselines == 2
    assert sorted(cqc.fetched) == sorted([docs.HENLEY, docs.ALLIED])


def test_routing_filters_by_type_severity_and_location(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    sinks = [
        {"name": "ratings", "type": "console", "events": ["rating_changed"]},
        {"name": "lucerne", "type": "console", "locations": [docs.LUCERNE]},
        {"name": "warnings", "type": "console", "min_severity": "warning"},
    ]
    app = make_app(database_url, cqc, sinks=sinks)
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.add_report(
        docs.real(docs.HENLEY), "r2", "2026-11-01", "2026-10-01"
    )
    cqc.documents[docs.LUCERNE] = docs.set_key_question(
        docs.real(docs.LUCERNE), "Safe", "Requires improvement"
    )
    app.review().run("full")

    with app.sessions() as session:
        rows = session.execute(select(EventRecord.type, Delivery.sink).join(Delivery)).all()
    assert sorted(rows) == [
        ("rating_changed", "lucerne"),
        ("rating_changed", "ratings"),
        ("rating_changed", "warnings"),
    ]


def test_check_only_given_locations_does_not_move_the_watermark(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = make_app(database_url, cqc)
    report = app.review().run("incremental", only=[docs.ALLIED])
    assert report.baselines == 1 and cqc.fetched == [docs.ALLIED]
    assert count(app, FeedWatermark) == 0


def test_an_unknown_provider_does_not_stop_the_cycle(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    cqc.providers["1-102642938"] = [docs.HENLEY]
    app = make_app(
        database_url,
        cqc,
        watch={"locations": [docs.LUCERNE], "providers": ["1-102642938", "1-999999999"]},
    )
    report = app.review().run("full")
    assert report.baselines == 2
    assert sorted(cqc.fetched) == sorted([docs.LUCERNE, docs.HENLEY])


def test_a_location_leaving_a_watched_provider_is_reported_to_that_providers_sinks(
    database_url: str,
) -> None:
    cqc = FakeCqc(docs.all_real())
    old_provider = "1-102642938"
    cqc.providers[old_provider] = [docs.HENLEY]
    sinks = [{"name": "group", "type": "console", "providers": [old_provider]}]
    clock = FakeClock()
    app = make_app(database_url, cqc, clock, watch={"providers": [old_provider]}, sinks=sinks)
    app.review().run("full")

    moved = docs.variant(docs.real(docs.HENLEY))
    moved["providerId"] = "1-555"
    cqc.documents[docs.HENLEY] = moved
    cqc.providers[old_provider] = []  # CQC lists it under its new provider now
    cqc.changed = [docs.HENLEY]
    clock.advance(days=1)
    (event,) = app.review().run("incremental").events

    assert (event.type, event.severity) == ("details_changed", "warning")
    assert event.details["changes"] == [{"field": "provider", "old": old_provider, "new": "1-555"}]
    with app.sessions() as session:
        assert list(session.scalars(select(Delivery.sink))) == ["group"]
    # Afterwards it belongs to another provider and is no longer watched.
    cqc.fetched.clear()
    clock.advance(days=1)
    app.review().run("incremental")
    assert cqc.fetched == []


def test_a_failing_location_no_longer_watched_is_not_retried(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    cqc.errors[docs.ALLIED] = "timeout"
    app = make_app(database_url, cqc)
    app.review().run("full")
    app.close()

    cqc.fetched.clear()
    narrower = make_app(database_url, cqc, watch={"locations": [docs.HENLEY]})
    narrower.review().run("incremental")
    assert cqc.fetched == []


class SlowCqc(FakeCqc):
    """A slow API; shutdown is requested while the first location is fetched."""

    def __init__(self, documents: dict[str, Any], stop: threading.Event) -> None:
        super().__init__(documents)
        self.stop = stop

    def fetch_location(self, location_id: str) -> Any:
        self.stop.set()
        time.sleep(0.01)
        return super().fetch_location(location_id)


def test_an_abandoned_cycle_cancels_the_fetches_still_queued(database_url: str) -> None:
    henley = docs.real(docs.HENLEY)
    many = {f"1-{n}": {**henley, "locationId": f"1-{n}"} for n in range(1000, 1600)}
    stop = threading.Event()
    cqc = SlowCqc(many, stop)
    app = make_app(database_url, cqc, watch={"locations": list(many)})
    with pytest.raises(CycleAbandoned):
        app.review(stop=stop).run("full")
    assert len(cqc.fetched) < 60  # what was in flight, not the 400 queued behind it
    with app.sessions() as session:
        assert session.scalar(select(Cycle.status)) == "abandoned"


class ShiftingRegister(FakeCqc):
    """A register paged while it changes: one id is listed twice."""

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        ids = list(self.documents)
        yield from [ids[0], ids[1], ids[1], ids[2]]


def test_an_id_listed_twice_by_the_register_is_checked_once(database_url: str) -> None:
    cqc = ShiftingRegister(docs.all_real())
    app = make_app(database_url, cqc, watch={"all": True})
    report = app.review().run("full")
    assert (report.baselines, report.errors, report.locations) == (3, 0, 3)
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SnapshotRecord)) == 3
