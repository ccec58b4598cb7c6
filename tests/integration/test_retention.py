"""The fetch log is bounded by retention.fetch_log_days; the audit trail itself is kept."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.store.tables import EventRecord, Fetch, SnapshotRecord
from tests.fakes import FakeClock, FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for


def test_old_fetch_rows_go_snapshots_and_events_stay(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    clock = FakeClock()
    settings = settings_for(
        database_url, watch={"locations": list(cqc.documents)}, retention={"fetch_log_days": 30}
    )
    app = app_for(settings, api=cqc, clock=clock)
    app.review().run("full")
    clock.advance(days=20)
    cqc.documents[docs.HENLEY] = docs.deregister(docs.real(docs.HENLEY), "2026-12-01")
    app.review().run("full")
    clock.advance(days=15)

    assert app.prune() == 3  # the first cycle's fetches are 35 days old
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Fetch)) == 3
        assert session.scalar(select(func.count()).select_from(SnapshotRecord)) == 4
        assert session.scalar(select(func.count()).select_from(EventRecord)) == 1
