"""The Overview's "CQC data shape" panel over real HTTP: learning, then a change of CQC's
document shape with its example, then acknowledged."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.store import source_changes
from monitor.store.tables import SourceChange
from tests.fakes import FakeClock, FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.dashboard import client, serving

WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


def panel(url: str) -> str:
    with serving(url) as base:
        page = client().get(base + "/", timeout=10)
    assert page.status_code == 200
    found = re.search(r'<section aria-labelledby="shape">(.*?)</section>', page.text, re.S)
    assert found, "the Overview has no CQC data shape panel"
    return " ".join(found.group(1).split())


def watching(url: str, cqc: FakeCqc, clock: FakeClock) -> App:
    settings = settings_for(url, watch={"locations": WATCHED})
    return app_for(settings, api=cqc, clock=clock, sinks={})


def test_the_panel_shows_learning_then_a_change_until_it_is_acknowledged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    cqc, clock = FakeCqc(docs.all_real()), FakeClock()
    app = watching(url, cqc, clock)
    assert "Learning: the first full review learns the shape" in panel(url)

    app.review().run("full")
    learned = panel(url)
    assert "Learned " in learned and "location documents 3 (" in learned
    assert "No change in the last 30 days." in learned

    cqc.documents[docs.LUCERNE] = docs.set_key_question(
        docs.real(docs.LUCERNE), "Overall", "Exceptional"
    )
    clock.advance(days=1)
    app.review().run("full")
    changed = panel(url)
    assert "1 change(s) not acknowledged" in changed and "cqc-monitor source ack" in changed
    assert "new value <strong>Exceptional</strong> (rating)" in changed
    assert "<code>currentRatings.overall.rating</code>" in changed
    assert f'href="/locations/{docs.LUCERNE}">{docs.LUCERNE}</a>' in changed
    assert '<span class="status pending">not yet</span>' in changed

    with app.sessions.begin() as session:
        assert source_changes.acknowledge(session, datetime.now(UTC), "ops") == 1
        assert session.scalar(select(SourceChange.acknowledged_by)) == "ops"
    acknowledged = panel(url)
    assert "change(s) not acknowledged" not in acknowledged and "not yet" not in acknowledged
    assert "Exceptional" in acknowledged  # still listed: first seen in the last 30 days
