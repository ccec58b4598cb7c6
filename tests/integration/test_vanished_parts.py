"""A document that arrives without a part it had (its reports, its ratings, a key question,
its registration status) raises nothing, and neither does the part's return: what CQC says
when it names the part again is compared with what it said last (SPEC §5.2, "re-fetching
identical data produces no event"). The real Henley House document, composed variants, through
whole review cycles on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.domain.events import Event
from monitor.store.tables import Location, SnapshotRecord
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.dashboard import client, serving

HENLEY_REPORT = "8d751af1-d418-4d70-956d-eac92d2c9ff6"  # its one report, published 2022


class Henley:
    """Henley House watched and baselined; each ``serve`` is CQC's next answer and a cycle."""

    def __init__(self, database_url: str) -> None:
        self.cqc = FakeCqc({docs.HENLEY: docs.real(docs.HENLEY)})
        self.clock = FakeClock()
        self.sink = RecordingSink("ops")
        settings = settings_for(
            database_url,
            watch={"locations": [docs.HENLEY]},
            sinks=[{"name": "ops", "type": "console"}],
        )
        self.app: App = app_for(settings, api=self.cqc, clock=self.clock, sinks={"ops": self.sink})
        assert self.app.review().run("full").baselines == 1

    def serve(self, doc: docs.Doc) -> list[Event]:
        self.cqc.documents[docs.HENLEY] = doc
        self.clock.advance(days=1)
        report = self.app.review().run("full")
        assert report.errors == 0
        return report.events

    def delivered(self) -> int:
        """Alerts the operator's sink received, once everything due was delivered."""
        self.app.dispatcher().deliver_due()
        return sum(len(batch) for batch in self.sink.batches)

    def stored(self) -> dict[str, Any]:
        """The snapshot the next document will be compared with."""
        with self.app.sessions() as session:
            snapshot_id = session.scalar(
                select(Location.last_snapshot_id).where(Location.id == docs.HENLEY)
            )
            record = session.get(SnapshotRecord, snapshot_id)
            assert record is not None
            return dict(record.data)


def without(doc: docs.Doc, *keys: str) -> docs.Doc:
    doc = docs.variant(doc)
    for key in keys:
        doc.pop(key)
    return doc


def without_key_question(doc: docs.Doc, question: str) -> docs.Doc:
    doc = docs.variant(doc)
    overall = doc["currentRatings"]["overall"]
    overall["keyQuestionRatings"] = [
        item for item in overall["keyQuestionRatings"] if item["name"] != question
    ]
    return doc


def test_reports_and_ratings_that_vanish_and_return_raise_nothing(database_url: str) -> None:
    henley = Henley(database_url)
    real = docs.real(docs.HENLEY)

    assert henley.serve(without(real, "reports", "currentRatings")) == []
    # The snapshot shows what CQC says now; CQC's last word is kept beside it, for the next
    # comparison.
    gap = henley.stored()
    assert (gap["ratings"], gap["reports"]) == ([], [])
    assert {(r["question"], r["rating"]) for r in gap["carried_ratings"]} == {
        (question, "Good")
        for question in ("Overall", "Safe", "Effective", "Caring", "Responsive", "Well-led")
    }
    assert [r["link_id"] for r in gap["carried_reports"]] == [HENLEY_REPORT]

    assert henley.serve(real) == []
    back = henley.stored()
    assert "carried_ratings" not in back and "carried_reports" not in back
    assert henley.delivered() == 0


def test_a_key_question_that_vanishes_and_returns_raises_nothing(database_url: str) -> None:
    henley = Henley(database_url)
    real = docs.real(docs.HENLEY)

    assert henley.serve(without_key_question(real, "Safe")) == []
    assert henley.serve(real) == []
    assert henley.delivered() == 0


def test_what_changed_during_a_gap_is_judged_against_what_cqc_said_last(
    database_url: str,
) -> None:
    henley = Henley(database_url)
    real = docs.real(docs.HENLEY)
    inspected = docs.rate_with_report(
        real, {"Overall": "Inadequate", "Safe": "Inadequate"}, "report-9", "2026-11-30"
    )

    assert henley.serve(without(real, "reports", "currentRatings")) == []
    events = {event.type: event for event in henley.serve(inspected)}

    assert sorted(events) == ["new_inspection", "rating_changed"]
    changes = events["rating_changed"].details["changes"]
    assert [(c["question"], c["old"], c["new"], c["direction"]) for c in changes] == [
        ("Overall", "Good", "Inadequate", "declined"),
        ("Safe", "Good", "Inadequate", "declined"),
    ]
    assert events["rating_changed"].severity == "critical"
    # Only the report that is new: the 2022 one, back in the document, is old news.
    assert events["new_inspection"].details["report_link_id"] == "report-9"
    assert henley.delivered() == 2


def test_a_deregistration_after_the_status_went_missing_is_alerted(database_url: str) -> None:
    henley = Henley(database_url)
    real = docs.real(docs.HENLEY)

    assert henley.serve(without(real, "registrationStatus")) == []
    (event,) = henley.serve(docs.deregister(real, "2026-11-30"))

    assert (event.type, event.severity) == ("registration_changed", "critical")
    assert (event.details["old"], event.details["new"]) == ("Registered", "Deregistered")


def test_the_location_page_says_which_ratings_cqc_left_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    henley = Henley(url)
    henley.serve(without_key_question(docs.real(docs.HENLEY), "Safe"))

    with serving(url) as base:
        page = client().get(f"{base}/locations/{docs.HENLEY}", timeout=10).text

    # The one carried rating, and only it, says so.
    assert page.count("not in CQC's latest document") == 1
    safe = re.search(r'data-label="Safe">(.*?)</td>', page, re.S)
    assert safe is not None and "not in CQC's latest document" in safe.group(1)
