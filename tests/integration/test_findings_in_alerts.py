"""What a report found, in every place an alert appears: the email (text and HTML parts), a
chat message through Apprise, the console, and the webhook's details.findings."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from monitor.domain.events import Event
from monitor.sinks.apprise_sink import AppriseSink
from monitor.sinks.console import ConsoleConfig, ConsoleSink
from monitor.sinks.email_render import render_email
from monitor.sinks.registry import build_sink
from monitor.sinks.webhook import WebhookSink
from tests.support.events import alerts, findings_event, inspection_event, rating_event
from tests.support.smtp import bodies
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
LINE = "8 breaches of regulation · special measures · urgent action"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def email_of(*events: Event) -> EmailMessage:
    return render_email(
        list(events),
        delivery_ids=list(range(1, len(events) + 1)),
        sender="cqc-monitor@example.org",
        to=["ops@example.org"],
        date=datetime(2025, 11, 3, tzinfo=UTC),
    )


def test_the_email_has_a_findings_line_under_the_report_then_its_summary() -> None:
    report = findings_event()
    message = email_of(report)
    assert message["Subject"] == f"[CQC] CRITICAL Henley House: new inspection report: {LINE}"
    content, markup = bodies(message)
    lines = content.splitlines()
    report_line = lines.index(report.summary)
    assert lines[report_line + 1] == f"  Findings: {LINE}"
    assert lines[report_line + 2].startswith("  Regulations: Regulation 12: Safe care")
    assert lines[report_line + 3] == (
        "  Report summary: We found eight breaches of the legal regulations. The service is unsafe."
    )
    assert LINE in markup and "We found eight breaches of the legal regulations." in markup
    # Serious findings are coloured like a decline.
    assert 'color:#b42318;font-weight:bold;">8 breaches' in markup


def test_a_report_without_findings_yet_says_they_follow() -> None:
    event = inspection_event()
    waiting = replace(event, details={**event.details, "findings": None})
    message = email_of(waiting)
    assert (
        "Findings: the report's text is not read yet; they follow when it is"
        in (bodies(message)[0])
    )


def test_a_report_and_the_rating_change_it_brought_read_as_one_block() -> None:
    report = findings_event()
    change = rating_event(link_id=report.details["report_link_id"])
    message = email_of(change, report)
    content = bodies(message)[0]
    assert content.index(f"Findings: {LINE}") < content.index("What it changed:")


def test_chat_messages_carry_the_findings(receiver: WebhookReceiver) -> None:
    sink = build_sink(
        {"name": "chat", "type": "apprise", "urls": [receiver.url.replace("http://", "json://")]}
    )
    assert isinstance(sink, AppriseSink)
    (outcome,) = sink.send(alerts(findings_event()))
    assert outcome.ok
    posted = receiver.requests[0].json()
    assert posted["title"] == f"[CQC] CRITICAL Henley House: new inspection report: {LINE}"
    assert posted["type"] == "failure"  # critical
    assert f"Findings: {LINE}" in posted["message"]
    assert "Report summary: We found eight breaches" in posted["message"]


def test_the_console_prints_the_findings() -> None:
    stream = io.StringIO()
    ConsoleSink(ConsoleConfig(name="screen"), stream=stream).send(alerts(findings_event()))
    assert f"  Findings: {LINE}" in stream.getvalue()


def test_the_webhook_carries_details_findings(receiver: WebhookReceiver) -> None:
    sink = build_sink(
        {
            "name": "hook",
            "type": "webhook",
            "url": receiver.url,
            "secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }
    )
    assert isinstance(sink, WebhookSink)
    event = findings_event()
    (outcome,) = sink.send(alerts(event))
    assert outcome.ok
    data = receiver.requests[0].json()["data"]
    assert data["details"]["findings"] == event.details["findings"]
    assert data["severity"] == "critical"
