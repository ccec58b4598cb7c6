"""How ``location_added`` and ``location_left`` read in emails, chat and the console."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from monitor.domain.events import Event, LocationRef
from monitor.domain.membership import Sighting, Standing, membership_changes
from monitor.domain.search import LocationFacts, Search
from monitor.domain.snapshot import Rating
from monitor.sinks.email_render import render_email
from monitor.sinks.text import subject, text_block

KENT = Search.of("kent-care-homes", {"localAuthority": ["Kent", "Medway"], "careHome": ["Y"]})
ROSE = LocationRef("1-555", "Rose Court", "1-999", "https://www.cqc.org.uk/location/1-555")
DETECTED = "2026-11-12T07:00:00Z"


def joined(**facts: tuple[str, ...]) -> Event:
    seen = Sighting(
        ROSE,
        LocationFacts(**{"local_authority": ("Kent",), "care_home": ("Y",), **facts}),
        content_hash="h",
        registration_date="2026-11-10",
    )
    event = membership_changes(seen, [Standing(KENT)], detected_at=DETECTED)[0].event
    assert event is not None
    return event


def left() -> Event:
    seen = Sighting(
        ROSE,
        LocationFacts(local_authority=("East Sussex",), care_home=("Y",)),
        content_hash="h",
        ratings=(Rating("Overall", "Good", date="2023-05-01"),),
    )
    member = Standing(KENT, member_since="2026-11-01T06:00:00Z")
    event = membership_changes(seen, [member], detected_at=DETECTED)[0].event
    assert event is not None
    return event


def test_a_new_registration_reads_as_one() -> None:
    event = joined()
    assert subject([event]) == "[CQC] INFO Rose Court: newly registered, joins kent-care-homes"
    assert text_block(event) == "\n".join(
        [
            "Rose Court (1-555) — INFO",
            "New care home registered in Kent: Rose Court, not yet rated (kent-care-homes).",
            "  Search: kent-care-homes",
            "  Registered: 2026-11-10",
            "  Overall rating: not yet rated",
            "  Care home: Y",
            "  Local authority: Kent",
            "CQC location page: https://www.cqc.org.uk/location/1-555",
        ]
    )


def test_a_departure_says_what_no_longer_matches() -> None:
    event = left()
    assert subject([event]) == "[CQC] INFO Rose Court: no longer matches kent-care-homes"
    assert "  Local authority: now East Sussex (search: Kent, Medway)" in text_block(event)


def test_the_email_carries_the_same_lines_in_both_parts() -> None:
    message = render_email(
        [joined()],
        delivery_ids=[1],
        sender="cqc-monitor@example.org",
        to=["ops@example.org"],
        date=datetime(2026, 11, 12, 7, 1, tzinfo=UTC),
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and "Overall rating: not yet rated" in text.get_content()
    assert html is not None and "not yet rated" in html.get_content()
    assert "kent-care-homes" in html.get_content()
