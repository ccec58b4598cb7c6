"""Builds the alert email: one multipart/alternative message for a batch of events. Pure.

The HTML part uses tables and inline styles only, because Outlook and Gmail drop
``<style>`` blocks and ignore most layout CSS. Every piece of data is escaped.
"""

from __future__ import annotations

import email.policy
import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape

from monitor.domain.events import Event
from monitor.sinks import text

_FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2328;"
_SEVERITY_STYLE = {
    "critical": "background:#fee4e2;color:#b42318;",
    "warning": "background:#fef0c7;color:#93370d;",
    "info": "background:#d1e9ff;color:#175cd3;",
}
_TONE_STYLE = {"declined": "color:#b42318;font-weight:bold;", "improved": "color:#067647;"}
_FOOTER = (
    "Sent by cqc-monitor. Data from the Care Quality Commission, Open Government Licence v3.0."
)


# Headers are written on one line up to RFC 5322's limit: the standard library folds a subject
# longer than 78 characters so that it reads back with a leading space, or with two spaces
# around an encoded arrow ("Good  → Requires improvement"). The bodies are encoded before
# this policy applies, so they keep their 76-character quoted-printable lines.
UNFOLDED_HEADERS = email.policy.default.clone(max_line_length=998)


def message_id(delivery_ids: Iterable[int], sender: str, event_ids: Iterable[str] = ()) -> str:
    """The same batch of deliveries always gets the same id, so a resent email is a duplicate
    that mail clients and receivers can recognise. The event ids (content hashes) keep two
    databases' delivery 1, 2, 3 — staging and production — from sharing an id, which mail
    services would take for a duplicate and hide."""
    joined = ",".join(str(item) for item in sorted(delivery_ids))
    joined += "|" + ",".join(sorted(event_ids))
    digest = hashlib.sha256(joined.encode("ascii")).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cqc-monitor.invalid"
    return f"<cqc-monitor.{digest}@{domain}>"


def render_email(
    events: Sequence[Event],
    *,
    delivery_ids: Iterable[int],
    sender: str,
    to: Sequence[str],
    date: datetime,
) -> EmailMessage:
    title = text.subject(events)
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(delivery_ids, sender, (event.id for event in events))
    message["X-CQC-Event-Ids"] = ", ".join(event.id for event in events)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    # quoted-printable keeps the body 7-bit for servers without 8BITMIME.
    message.set_content(text.text_body(events), cte="quoted-printable")
    message.add_alternative(render_html(events, title), subtype="html", cte="quoted-printable")
    message.policy = UNFOLDED_HEADERS
    return message


def render_html(events: Sequence[Event], title: str) -> str:
    blocks = "".join(group_html(group) for group in text.report_groups(events))
    return page_html(title, blocks)


def page_html(title: str, rows: str) -> str:
    """The message around its rows (``<tr>``s): a title bar above, the licence below."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="margin:0;padding:0;background:#f4f5f7;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f4f5f7;"><tr><td align="center" style="padding:16px;">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:100%;max-width:640px;background:#ffffff;border:1px solid #d0d7de;{_FONT}">'
        f'<tr><td style="padding:16px 20px;font-size:18px;font-weight:bold;{_FONT}'
        f'border-bottom:1px solid #d0d7de;">{escape(title)}</td></tr>'
        f"{rows}"
        f'<tr><td style="padding:12px 20px;font-size:12px;color:#57606a;'
        f'font-family:Arial,Helvetica,sans-serif;">{escape(_FOOTER)}</td></tr>'
        "</table></td></tr></table></body></html>\n"
    )


def group_html(group: Sequence[Event]) -> str:
    """One location heading, then each event of the group (a report, then what it changed)."""
    first = group[0]
    severity = text.group_severity(group)
    badge_style = _SEVERITY_STYLE.get(severity, _SEVERITY_STYLE["info"])
    name = _link(first.subject.url, first.subject.name, style="color:#1f2328;")
    body = "".join(
        f'<p style="margin:8px 0;font-size:14px;">{escape(_lead(index, event))}</p>'
        f"{_lines_table(event)}"
        for index, event in enumerate(group)
    )
    return (
        f'<tr><td style="padding:16px 20px;border-bottom:1px solid #d0d7de;{_FONT}">'
        f'<span style="{badge_style}padding:2px 6px;font-size:12px;font-weight:bold;">'
        f"{escape(severity.upper())}</span>&nbsp; "
        f'<span style="font-size:16px;font-weight:bold;">{name}</span> '
        f'<span style="font-size:12px;color:#57606a;">{escape(first.subject.id)}</span>'
        f"{body}"
        f'<p style="margin:8px 0 0 0;font-size:13px;">{_footer_links(group)}</p>'
        "</td></tr>"
    )


def _lead(index: int, event: Event) -> str:
    return event.summary if index == 0 else f"What it changed: {event.summary}"


def _lines_table(event: Event) -> str:
    lines = text.detail_lines(event)
    if date := text.report_date(event):
        lines.append(text.Line(text.date_label(event), date))
    if not lines:
        return ""
    rows = "".join(
        '<tr><td style="padding:4px 12px 4px 0;font-size:14px;font-weight:bold;'
        f'vertical-align:top;white-space:nowrap;">{escape(line.label)}</td>'
        f'<td style="padding:4px 0;font-size:14px;{_TONE_STYLE.get(line.tone or "", "")}">'
        f"{escape(line.value)}</td></tr>"
        for line in lines
    )
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        f'style="{_FONT}">{rows}</table>'
    )


def _footer_links(group: Sequence[Event]) -> str:
    found = dict.fromkeys(pair for event in group for pair in text.links(event))
    return " &nbsp;|&nbsp; ".join(_link(url, label, style="color:#0969da;") for label, url in found)


def _link(url: str, label: str, *, style: str) -> str:
    # Only web links become anchors: a value from the feed must never become javascript:.
    if not url.startswith(("https://", "http://")):
        return escape(label)
    return f'<a href="{escape(url, quote=True)}" style="{style}">{escape(label)}</a>'
