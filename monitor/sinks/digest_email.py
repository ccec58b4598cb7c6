"""Builds a digest's email: one multipart/alternative message for the whole window. Pure.

The HTML part is the alert email's own: the same page, the same block for each event (a
report and what it changed), grouped by location, the worst location first, after a short
account of the window and its locations at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from monitor.domain.digest import by_location
from monitor.sinks import digest_text
from monitor.sinks.base import Digest
from monitor.sinks.email_render import UNFOLDED_HEADERS, group_html, message_id, page_html

_CELL = "padding:16px 20px;border-bottom:1px solid #d0d7de;font-size:14px;"
_FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2328;"


def render_digest_email(
    digest: Digest, *, cadence: str | None, sender: str, to: Sequence[str], date: datetime
) -> EmailMessage:
    title = digest_text.digest_subject(digest, cadence)
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(date)
    # The same digest always gets the same id: a resent one is a duplicate mail clients drop.
    event_ids = [event.id for event in digest.events]
    message["Message-ID"] = message_id([digest.digest_id], sender, [digest.key, *event_ids])
    message["X-CQC-Digest-Id"] = digest.key
    message["X-CQC-Event-Ids"] = ", ".join(event_ids)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(digest_text.digest_body(digest, cadence), cte="quoted-printable")
    message.add_alternative(
        render_digest_html(digest, cadence, title), subtype="html", cte="quoted-printable"
    )
    message.policy = UNFOLDED_HEADERS
    return message


def render_digest_html(digest: Digest, cadence: str | None, title: str) -> str:
    blocks = "".join(
        group_html(report_group)
        for _, report_groups in digest_text.location_groups(digest)
        for report_group in report_groups
    )
    return page_html(title, _summary(digest, cadence) + blocks)


def _summary(digest: Digest, cadence: str | None) -> str:
    """What the digest covers, and each location at a glance, the most severe first."""
    heading = (
        f"{digest_text.digest_title(cadence)}: {digest_text.counts(digest.events)}, "
        f"{digest_text.period(digest)}."
    )
    items = "".join(
        f'<li style="margin:2px 0;">{escape(digest_text.index_line(group))}</li>'
        for group in by_location(digest.events)
    )
    return (
        f'<tr><td style="{_CELL}{_FONT}">'
        f'<p style="margin:0 0 8px 0;">{escape(heading)}</p>'
        f'<ul style="margin:0;padding-left:20px;">{items}</ul>'
        "</td></tr>"
    )
