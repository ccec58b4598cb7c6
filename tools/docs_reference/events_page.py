"""The events reference: the envelope every alert carries and each event type of the live
registry, with when it is recorded, its details and its severity."""

from __future__ import annotations

import json

from tools.docs_reference import live
from tools.docs_reference.descriptions import EVENTS
from tools.docs_reference.markdown import GENERATED, Warn, code, table

_CHANGE = {"service": None, "old": "Good", "direction": "declined", "framework": "assessment"}
EXAMPLE = {
    "id": "evt_3b512ee248623682a30a750f77",
    "type": "rating_changed",
    "severity": "critical",
    "detected_at": "2026-11-29T07:00:03Z",
    "location": {
        "id": "1-10000302982",
        "name": "Henley House",
        "provider_id": "1-102642938",
        "url": "https://www.cqc.org.uk/location/1-10000302982",
    },
    "summary": "Henley House: Overall: Good → Requires improvement; Safe: Good → Inadequate "
    "(new assessment, published 2026-11-20).",
    "details": {
        "changes": [
            {"question": "Overall", **_CHANGE, "new": "Requires improvement"},
            {"question": "Safe", **_CHANGE, "new": "Inadequate"},
        ],
        "framework": "assessment",
        "report_date": "2026-11-20",
        "report_link_id": "<assessmentPlanId>",
        "report_url": None,
    },
}
FIELDS = (
    ("id", "stable: the same change detected twice has the same id. It is the idempotency key "
     "downstream (`webhook-id`, the email's `X-CQC-Event-Ids`)"),
    ("type", "one of the types below"),
    ("severity", "{severities}"),
    ("detected_at", "when the monitor saw the change (UTC)"),
    ("location", "`id`, `name`, `provider_id` and `url` (the location's page on CQC's website)"),
    ("summary", "one sentence for people"),
    ("details", "what changed, by type (below)"),
)  # fmt: skip
INTRO = """\
# Events

Every change is one JSON event, stored in the audit trail and delivered as it is stored
(webhook bodies carry it as `data`; `cqc-monitor changes --format json` prints it):

"""
OUTRO = """
A sample from `cqc-monitor sinks test NAME` also carries `"test": true`.
[How the monitor decides](../explanation/cqc-data.md) explains when a change is one.

## Event types

"""


def render(warn: Warn) -> str:
    severities = ", ".join(code(s) for s in live.severities())
    fields = [(code(name), text.replace("{severities}", severities)) for name, text in FIELDS]
    example = json.dumps(EXAMPLE, indent=2, ensure_ascii=False)
    return (
        GENERATED
        + INTRO
        + f"```json\n{example}\n```\n\n"
        + table(("field", "meaning"), fields)
        + OUTRO
        + table(("type", "when", "details", "severity"), _types(warn))
    )


def _types(warn: Warn) -> list[tuple[str, str, str, str]]:
    rows = []
    for event_type in live.event_types():
        described = EVENTS.get(event_type)
        if described is None:
            warn(f"the event type {event_type} is not described (docs_reference/descriptions.py)")
            described = ("", "", "")
        rows.append((code(event_type), *described))
    return rows
