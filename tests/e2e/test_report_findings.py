"""What a new report found, end to end: the real worker against the simulated CQC API over
HTTP (report texts at /reports/{id} laid out as PDF extracts of the real excerpts), a real
database (SQLite file; PostgreSQL in CI), a real SMTP server and a webhook receiver.

A text read in its cycle puts its findings in the alert itself; a text that cannot be read
never holds the rating alert back, and arrives later as ``report_findings``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.sim import Population, SimulatedCqc
from monitor.store.report_texts import decompressed
from monitor.store.tables import Fetch, ReportText
from tests.fakes import FakeClock
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for, sim_api
from tests.support.smtp import SmtpServer, bodies
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
INADEQUATE = {
    "Safe": "Inadequate",
    "Effective": "Requires Improvement",
    "Caring": "Good",
    "Responsive": "Requires Improvement",
    "Well-led": "Inadequate",
}
WATCHED = [docs.HENLEY, docs.LUCERNE]


@dataclass
class Stage:
    sim: SimulatedCqc
    clock: FakeClock
    base_url: str
    web_url: str
    database_url: str
    smtp: SmtpServer
    hook: WebhookReceiver

    def app(self, *, web: bool = False, **report_text: Any) -> App:
        settings = settings_for(
            self.database_url,
            sources={
                "cqc_api": sim_api(self.base_url),
                "cqc_web": {"enabled": web, "base_url": self.web_url, "requests_per_second": 0},
                # One try per request: the tests count the requests a report costs.
                "report_text": {"max_attempts": 1, "timeout_seconds": 2, **report_text},
            },
            watch={"locations": WATCHED},
            sinks=[
                {
                    "name": "mail",
                    "type": "email",
                    "host": self.smtp.host,
                    "port": self.smtp.port,
                    "security": "none",
                    "from": "cqc-monitor@example.org",
                    "to": ["ops@example.org"],
                },
                {"name": "hook", "type": "webhook", "url": self.hook.url, "secret": SECRET},
            ],
        )
        return app_for(settings, clock=self.clock)

    def cycle(self, kind: str = "incremental", days: float = 1, **settings: Any) -> Any:
        self.clock.advance(days=days)
        app = self.app(**settings)
        report = app.review().run(kind)  # type: ignore[arg-type]
        app.dispatcher().deliver_due()
        return report

    def downgrade(self, excerpt: str | None = "05b", **assess: Any) -> str:
        """Henley House assessed Inadequate; its report, published with it, reads as the
        real excerpt named (05b: six breaches, placed in special measures)."""
        self.clock.advance(hours=3)
        plan = self.sim.assess(
            docs.HENLEY,
            overall="Inadequate",
            key_questions=INADEQUATE,
            published=self.clock.now().date(),
            report=True,
            **assess,
        )
        if excerpt:
            self.sim.set_report_text(plan, excerpts=(excerpt,))
        return plan

    def webhooks(self) -> list[dict[str, Any]]:
        return [request.json()["data"] for request in self.hook.requests]

    def delivered(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.webhooks() if event["type"] == event_type]

    def row(self, link_id: str) -> ReportText:
        app = self.app()
        with app.sessions() as session:
            row = session.get(ReportText, link_id)
            assert row is not None
            session.expunge(row)
            return row


@pytest.fixture
def stage(database_url: str) -> Iterator[Stage]:
    clock = FakeClock(START)
    sim = SimulatedCqc(
        Population.from_documents(docs.all_real().values()),
        subscription_key="sim-key",
        web_pages=True,
        clock=clock.now,
    )
    with sim.serve() as server, SmtpServer() as smtp, WebhookReceiver() as hook:
        yield Stage(sim, clock, server.base_url, server.web_base_url, database_url, smtp, hook)


def test_a_baseline_reads_no_report_text(stage: Stage) -> None:
    report = stage.cycle("full", days=0)
    assert report.baselines == 2 and report.events == []
    assert stage.sim.stats.count("report") == 0
    app = stage.app()
    with app.sessions() as session:
        assert session.scalars(select(ReportText)).all() == []


def test_a_report_read_in_its_cycle_puts_its_findings_in_the_alert(stage: Stage) -> None:
    stage.cycle("full", days=0)
    plan = stage.downgrade("05b")
    report = stage.cycle()

    assert {event.type for event in report.events} == {"rating_changed", "new_inspection"}
    # The webhook: the report's findings in details.findings, and its severity from them.
    (inspection,) = stage.delivered("new_inspection")
    assert inspection["details"]["report_link_id"] == plan
    assert inspection["severity"] == "critical"  # placed in special measures
    findings = inspection["details"]["findings"]
    assert findings["source"] == "report_text"
    assert (findings["breaches"], findings["special_measures"], findings["enforcement"]) == (
        6,
        "placed",
        [],
    )
    assert len(findings["regulations"]) == 6
    assert findings["summary"].startswith("We completed this assessment between 3 and 17")
    signed = next(r for r in stage.hook.requests if r.json()["data"]["id"] == inspection["id"])
    assert verify_signature(SECRET, signed.headers, signed.body)
    # The email: the report, its findings line and summary under it, then what it changed.
    (message,) = stage.smtp.messages
    assert message["Subject"] == "[CQC] CRITICAL Henley House: 2 changes (2 critical)"
    body, markup = bodies(message)
    assert "Findings: 6 breaches of regulation · special measures" in body
    assert "Report summary: We completed this assessment" in body
    assert body.index("Findings:") < body.index("What it changed:")
    assert "6 breaches of regulation · special measures" in markup
    # Read once, kept whole: the text as served, compressed, with its findings.
    row = stage.row(plan)
    assert (row.status, row.attempts, row.source) == ("read", 1, "report_text")
    assert decompressed(row.text) == stage.sim.report_text(plan)
    assert row.findings == findings and row.findings_event_id == inspection["id"]
    assert stage.sim.stats.count("report") == 1
    # The same report seen again (the location changes for another reason) is not read again.
    stage.sim.touch(docs.HENLEY)
    stage.cycle()
    assert stage.sim.stats.count("report") == 1


def test_a_text_that_fails_arrives_later_as_report_findings(stage: Stage) -> None:
    stage.cycle("full", days=0)
    plan = stage.downgrade("05a")
    stage.sim.faults.status(503, times=None, path_prefix=f"/reports/{plan}")
    stage.cycle()

    # The rating alert went out in its cycle, and the report's alert without findings.
    (rating,) = stage.delivered("rating_changed")
    (inspection,) = stage.delivered("new_inspection")
    assert rating["severity"] == "critical"
    assert (inspection["details"]["findings"], inspection["severity"]) == (None, "info")
    (message,) = stage.smtp.messages
    assert "Findings: the report's text is not read yet" in bodies(message)[0]
    row = stage.row(plan)
    assert (row.status, row.attempts, row.http_status) == ("pending", 1, 503)
    assert "503" in (row.last_error or "")

    # CQC serves the text again; the next daily poll reads it (nothing else changed).
    stage.sim.faults.clear()
    report = stage.cycle()
    (late,) = stage.delivered("report_findings")
    assert [event.id for event in report.events] == [late["id"]]
    assert late["severity"] == "critical"
    assert late["details"]["report_link_id"] == plan
    assert late["details"]["findings"]["breaches"] == 3
    assert late["details"]["findings"]["special_measures"] == "placed"
    assert late["summary"] == (
        "Henley House: the inspection report published 2026-11-01 found "
        "3 breaches of regulation · special measures."
    )
    # (An encoded subject can come back with its words re-spaced where it was folded.)
    subjects = [" ".join(str(m["Subject"]).split()) for m in stage.smtp.messages]
    assert (
        "[CQC] CRITICAL Henley House: report findings: 3 breaches of regulation · special measures"
        in (subjects)
    )
    row = stage.row(plan)
    assert (row.status, row.attempts, row.findings_event_id) == ("read", 2, late["id"])
    assert row.event_id == inspection["id"]
    # Each try is in the fetch log, the failed one with its answer.
    app = stage.app()
    with app.sessions() as session:
        tries = session.execute(
            select(Fetch.outcome, Fetch.http_status).where(Fetch.source == "report")
        ).all()
    assert sorted(tuple(t) for t in tries) == [("error", 503), ("read", 200)]


@pytest.mark.parametrize("failure", ["404", "oversized", "timeout"])
def test_a_text_that_cannot_be_read_never_holds_the_rating_alert_back(
    stage: Stage, failure: str
) -> None:
    stage.cycle("full", days=0)
    plan = stage.downgrade("05b")
    if failure == "404":
        stage.sim.faults.status(404, times=None, path_prefix=f"/reports/{plan}")
    elif failure == "oversized":
        stage.sim.set_report_text(plan, text="We found six breaches. " * 400)  # 9.2 kB
    else:
        stage.sim.faults.hang(30, times=None, path_prefix=f"/reports/{plan}")
    report = stage.cycle(max_response_bytes=4096, deadline_seconds=1)

    assert report.errors == 0 and {e.type for e in report.events} == {
        "rating_changed",
        "new_inspection",
    }
    (rating,) = stage.delivered("rating_changed")
    (inspection,) = stage.delivered("new_inspection")
    assert rating["severity"] == "critical"
    assert inspection["details"]["findings"] is None
    row = stage.row(plan)
    assert (row.status, row.attempts, row.text) == ("pending", 1, None)
    expected = {"404": "404", "oversized": "4096 byte cap", "timeout": "timed out"}[failure]
    assert expected in (row.last_error or "")


def test_retries_stop_at_the_limit(stage: Stage) -> None:
    stage.cycle("full", days=0)
    plan = stage.downgrade("05b")
    stage.sim.faults.status(500, times=None, path_prefix=f"/reports/{plan}")
    for _ in range(3):
        stage.cycle(read_attempts=2)
    row = stage.row(plan)
    assert (row.status, row.attempts) == ("failed", 2)
    assert stage.sim.stats.count("report") == 2
    assert stage.delivered("report_findings") == []


def test_the_assessment_narrative_is_read_when_the_api_has_no_text(stage: Stage) -> None:
    stage.cycle("full", days=0)
    # Constructed narrative, as the assessment framework's HTML field carries it.
    narrative = (
        "<p>We found <strong>four</strong> breaches of the legal regulations in relation to "
        "safe care and treatment, safeguarding, staffing and good governance.</p>"
        "<p>We served a warning notice on the provider.</p>"
    )
    plan = stage.downgrade(None, narrative=narrative)
    stage.sim.faults.status(404, times=None, path_prefix=f"/reports/{plan}")
    stage.cycle()
    (inspection,) = stage.delivered("new_inspection")
    findings = inspection["details"]["findings"]
    assert (findings["source"], findings["breaches"], findings["enforcement"]) == (
        "assessment_narrative",
        4,
        ["warning_notice"],
    )
    assert inspection["severity"] == "critical"
    row = stage.row(plan)
    assert (row.status, row.source, row.attempts) == ("read", "assessment_narrative", 1)


def test_the_website_summary_is_read_when_neither_the_api_nor_a_narrative_has_it(
    stage: Stage,
) -> None:
    stage.cycle("full", days=0, web=True)
    link = stage.sim.add_report(
        docs.HENLEY, report_date="2026-11-02", first_visit_date="2026-10-12"
    )
    stage.sim.faults.status(404, times=None, path_prefix=f"/reports/{link}")
    stage.cycle(web=True)
    (inspection,) = stage.delivered("new_inspection")
    findings = inspection["details"]["findings"]
    assert findings["source"] == "website"
    assert findings["summary"].startswith("We carried out an inspection of Henley House")
