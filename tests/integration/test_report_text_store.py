"""report_texts on SQLite and PostgreSQL: one row per report, its text kept once, its
attempts counted up to the limit, and the findings events the dashboard filters by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from monitor.domain.findings import Findings
from monitor.output import FINDINGS_COLUMNS, event_findings, findings_cells
from monitor.store import report_texts as store
from monitor.store.engine import make_session_factory
from monitor.store.queries import history
from monitor.store.tables import Location, ReportText

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
PLACED = Findings("report_text", breaches=3, special_measures="placed", summary="Bad.")


def reading(**fields: object) -> store.Reading:
    values: dict[str, object] = {
        "link_id": "rep-1",
        "location_id": "1-1",
        "report_date": "2026-11-19",
        "report_uri": "/reports/rep-1",
        "attempted": True,
        **fields,
    }
    return store.Reading(**values)  # type: ignore[arg-type]


def test_attempts_count_up_to_the_limit_then_the_text_is_given_up(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.execute(insert(Location).values(id="1-1", name="Oak Lodge", first_seen_at=NOW))
        store.record(
            session,
            [reading(error="HTTP 503", http_status=503, event_id="evt_a", retry_at=NOW)],
            now=NOW,
            cycle_id=None,
            max_attempts=2,
        )
    with sessions() as session:
        (pending,) = store.due(session, NOW, limit=10)
        assert (pending.link_id, pending.location_name, pending.attempts) == (
            "rep-1",
            "Oak Lodge",
            1,
        )
        assert store.due(session, NOW - timedelta(minutes=1), limit=10) == []
    with sessions.begin() as session:
        store.record(session, [reading(error="HTTP 503")], now=NOW, cycle_id=None, max_attempts=2)
    with sessions() as session:
        row = session.get(ReportText, "rep-1")
        assert row is not None and (row.status, row.attempts, row.event_id) == (
            "failed",
            2,
            "evt_a",
        )
        assert store.due(session, NOW, limit=10) == []
        assert store.counts(session) == {"failed": 1}


def test_a_text_is_kept_once_with_its_findings(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    text = "Page 1 of 2\nWe identified 3 breaches of regulation. " * 50
    with sessions.begin() as session:
        session.execute(insert(Location).values(id="1-1", name="Oak Lodge", first_seen_at=NOW))
        store.record(
            session,
            [reading(text=text, findings=PLACED, event_id="evt_a", findings_event_id="evt_a")],
            now=NOW,
            cycle_id=None,
            max_attempts=6,
        )
        # Read again (a re-run): the report keeps what it had.
        store.record(
            session,
            [reading(text="other", findings=Findings("report_text"))],
            now=NOW,
            cycle_id=None,
            max_attempts=6,
        )
    with sessions() as session:
        row = session.get(ReportText, "rep-1")
        assert row is not None
        assert (row.status, row.attempts, row.source, row.serious) == (
            "read",
            1,
            "report_text",
            True,
        )
        assert len(row.text or b"") < len(text) / 10  # compressed
        (kept,) = store.location_texts(session, "1-1")
        assert kept["text"] == text and kept["findings"] == PLACED.to_dict()
        assert store.known(session, ["rep-1"])["rep-1"].findings == PLACED
        assert list(session.scalars(store.serious_findings_events())) == ["evt_a"]
        (entry,) = [e for e in history(session, "1-1") if e["kind"] == "report_text"]
        assert (entry["status"], entry["text"], entry["event_id"]) == ("read", text, "evt_a")
        assert session.scalar(select(ReportText.text_chars)) == len(text)


def test_findings_cells_for_a_spreadsheet() -> None:
    event = {"details": {"findings": PLACED.to_dict() | {"enforcement": ["warning_notice"]}}}
    assert findings_cells(event_findings(event)) == {
        "breaches": 3,
        "special_measures": "placed",
        "enforcement": "warning_notice",
        "regulations": None,
        "findings_source": "report_text",
    }
    waiting = {"details": {"findings": None}}
    assert findings_cells(event_findings(waiting)) == dict.fromkeys(FINDINGS_COLUMNS)
    assert findings_cells(event_findings({"type": "data_review"})) == dict.fromkeys(
        FINDINGS_COLUMNS
    )
