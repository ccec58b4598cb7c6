"""What an alert email says: subject, change lines, HTML safety, headers."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from monitor.domain.events import Event
from monitor.sinks.email_render import message_id, render_email
from monitor.sinks.registry import sample_event
from monitor.sinks.text import subject, text_block
from tests.support.events import (
    ALLIED,
    HENLEY,
    LUCERNE,
    change,
    deregistered_event,
    inspection_event,
    make_event,
    rating_event,
)

SENDER = "CQC Monitor <cqc-monitor@example.org>"
WHEN = datetime(2025, 11, 3, 7, 0, 12, tzinfo=UTC)


def rendered(events: list[Event], ids: list[int] | None = None) -> EmailMessage:
    message = render_email(
        events,
        delivery_ids=ids or list(range(1, len(events) + 1)),
        sender=SENDER,
        to=["ops@example.org", "Compliance <compliance@example.org>"],
        date=WHEN,
    )
    # Round-trip through bytes, as a receiving mail server would see it.
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def test_one_rating_change_names_location_and_overall_change() -> None:
    assert (
        subject([rating_event()])
        == "[CQC] CRITICAL Henley House: Overall Good → Requires improvement"
    )


def test_without_overall_the_subject_names_the_worst_decline() -> None:
    event = rating_event(
        HENLEY,
        change("Caring", "Outstanding", "Good"),
        change("Well-led", "Good", "Inadequate"),
        change("Safe", "Good", "Requires improvement"),
    )
    assert subject([event]) == "[CQC] CRITICAL Henley House: Well-led Good → Inadequate"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (inspection_event(), "[CQC] INFO Lucerne House: new inspection report published"),
        (deregistered_event(), "[CQC] CRITICAL Allied Healthcare Bournemouth: deregistered"),
        (
            make_event("location_removed", HENLEY, severity="critical", http_status=404),
            "[CQC] CRITICAL Henley House: no longer found in the CQC register",
        ),
    ],
    ids=["new_inspection", "deregistered", "location_removed"],
)
def test_other_event_types_get_a_short_phrase(event: Event, expected: str) -> None:
    assert subject([event]) == expected


def test_several_events_are_counted_in_the_subject() -> None:
    events = [
        rating_event(HENLEY, severity="warning"),
        inspection_event(HENLEY),
        inspection_event(LUCERNE),
        make_event("data_review", LUCERNE, date="2025-10-01", text="No evidence to inspect."),
        deregistered_event(ALLIED),
    ]
    assert subject(events) == "[CQC] CRITICAL 5 changes at 3 locations (1 critical)"
    assert subject(events[1:3]) == "[CQC] INFO 2 changes at 2 locations"


def test_several_events_at_one_location_name_it_in_the_subject() -> None:
    events = [rating_event(HENLEY, severity="critical"), inspection_event(HENLEY)]
    assert subject(events) == "[CQC] CRITICAL Henley House: 2 changes (1 critical)"
    assert subject(events[1:] * 2) == "[CQC] INFO Henley House: 2 changes"


def test_change_lines_put_overall_first_and_name_services() -> None:
    event = rating_event(
        HENLEY,
        change("Well-led", "Good", "Requires improvement"),
        change("Safe", "Requires improvement", "Good", direction="improved"),
        change("Safe", "Good", "Inadequate", service="Dental service"),
        change("Overall", "Good", "Requires improvement"),
        change("Effective", "Good", "Requires improvement"),
    )
    lines = [line.strip() for line in text_block(event).splitlines() if "→" in line]
    assert lines == [
        "Overall: Good → Requires improvement",
        "Safe: Requires improvement → Good",
        "Effective: Good → Requires improvement",
        "Well-led: Good → Requires improvement",
        "Safe (Dental service): Good → Inadequate",
    ]


def test_message_has_text_and_html_with_the_same_facts() -> None:
    event = sample_event()
    message = rendered([event])
    plain, html = parts(message)
    assert message["Subject"] == (
        "[TEST] [CQC] CRITICAL Example Care Home (cqc-monitor test, not a real service): "
        "Overall Good → Requires improvement"
    )
    for fact in ("Overall: Good → Requires improvement", "Safe: Good → Requires improvement"):
        assert fact in plain
    assert "Report date: 2025-10-29" in plain
    assert event.location.url in plain and event.details["report_url"] in plain
    assert "Requires improvement" in html and "2025-10-29" in html
    assert f'href="{event.location.url}"' in html
    assert f'href="{event.details["report_url"]}"' in html
    assert message["X-CQC-Event-Ids"] == event.id
    assert message["Date"] == "Mon, 03 Nov 2025 07:00:12 +0000"
    assert message["To"] == "ops@example.org, Compliance <compliance@example.org>"


def test_data_is_escaped_in_html_and_only_web_links_are_links() -> None:
    event = make_event(
        "new_inspection",
        ("1-1", "Smith & Sons <script>alert(1)</script>", None),
        report_date="2025-10-30",
        report_url="javascript:alert(1)",
    )
    _, html = parts(rendered([event]))
    assert "<script>" not in html
    assert "Smith &amp; Sons &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html


def test_line_breaks_in_data_cannot_inject_headers() -> None:
    event = inspection_event(("1-2", "Rose Court\r\nBcc: victim@example.org", None))
    message = rendered([event])
    assert message["Subject"].strip() == (
        "[CQC] INFO Rose Court Bcc: victim@example.org: new inspection report published"
    )
    assert message["Bcc"] is None


def test_message_id_depends_only_on_the_set_of_deliveries() -> None:
    first = message_id([3, 1, 2], SENDER)
    assert first == message_id([1, 2, 3], SENDER)
    assert first != message_id([1, 2, 4], SENDER)
    assert first.startswith("<cqc-monitor.") and first.endswith("@example.org>")
    events = [rating_event(), inspection_event()]
    assert rendered(events, [7, 9])["Message-ID"] == rendered(events, [9, 7])["Message-ID"]


def test_header_lists_every_event_id_in_a_batch() -> None:
    events = [rating_event(), inspection_event(), deregistered_event()]
    message = rendered(events)
    listed = [item.strip() for item in str(message["X-CQC-Event-Ids"]).split(",")]
    assert listed == [event.id for event in events]


def test_message_id_differs_for_other_events_with_the_same_delivery_ids() -> None:
    assert message_id([1, 2], SENDER, ["evt_a", "evt_b"]) == message_id(
        [2, 1], SENDER, ["evt_b", "evt_a"]
    )
    assert message_id([1, 2], SENDER, ["evt_a", "evt_b"]) != message_id(
        [1, 2], SENDER, ["evt_c", "evt_d"]
    )


def test_each_sink_test_is_a_distinct_event() -> None:
    first = sample_event(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    second = sample_event(datetime(2026, 11, 29, 9, 5, tzinfo=UTC))
    assert first.id != second.id
    assert first.summary.startswith("[TEST] ") and first.test
    assert second.detected_at == "2026-11-29T09:05:00Z"


def test_a_report_and_the_rating_change_it_brought_read_as_one_block() -> None:
    rating = rating_event(HENLEY, severity="critical")
    link = rating.details["report_link_id"] = "plan-1"
    report = inspection_event(HENLEY)
    report.details["report_link_id"] = link
    other = inspection_event(LUCERNE)

    plain, html = parts(rendered([rating, other, report]))
    blocks = plain.strip().split("\n\n")
    assert len(blocks) == 2
    henley = blocks[0]
    assert henley.index(report.summary) < henley.index("What it changed: " + rating.summary)
    assert henley.startswith("Henley House") and "CRITICAL" in henley.splitlines()[0]
    assert html.count("What it changed:") == 1
