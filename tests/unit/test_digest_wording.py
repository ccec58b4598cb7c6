"""What a digest says and how it is cut, with literal events: its subject and order, its
webhook parts, the word for its schedule, and what ``status`` says of held deliveries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.cli.status_report import attention, report_lines
from monitor.cron import cadence
from monitor.domain.digest import by_location, digest_key, in_digest_order
from monitor.domain.events import Event
from monitor.sinks.base import Digest
from monitor.sinks.digest_text import digest_body, digest_subject
from monitor.sinks.webhook_digest import digest_parts
from tests.support.events import ALLIED, HENLEY, LUCERNE, inspection_event, make_event

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def digest(*events: Event, key: str = "dgst_test") -> Digest:
    return Digest(1, key, START, END, tuple(in_digest_order(events)), timezone="Europe/London")


def info(where: tuple[str, str, str | None], n: int) -> Event:
    return make_event("details_changed", where, changes=[{"field": "beds", "old": n, "new": n + 1}])


def warning(where: tuple[str, str, str | None]) -> Event:
    return make_event("details_changed", where, severity="warning", changes=[{"field": "provider"}])


@pytest.mark.parametrize(
    ("expression", "word"),
    [
        ("0 8 * * 1", "weekly"),
        ("30 7 * * mon", "weekly"),
        ("@weekly", "weekly"),
        ("0 8 * * *", "daily"),
        ("0 8 * * 1-5", "daily"),
        ("0 6 1 * *", "monthly"),
        ("15 * * * *", "hourly"),
        ("0 8,17 * * *", None),
        ("*/15 * * * *", None),
        ("0 8 1-7 * 1", None),
    ],
)
def test_a_schedule_is_named_by_how_often_it_fires(expression: str, word: str | None) -> None:
    assert cadence(expression) == word


def test_the_subject_counts_changes_locations_and_the_notable_ones() -> None:
    homes = [(f"1-10000000{n}", f"Home {n}", None) for n in range(1, 10)]
    events = [info(home, n) for n, home in enumerate(homes)] + [warning(h) for h in homes[:3]]
    subject = digest_subject(digest(*events), "weekly")
    assert subject == "[CQC] WARNING Weekly digest: 12 changes at 9 locations (3 warnings)"
    one = digest_subject(digest(info(HENLEY, 1)), "daily")
    assert one == "[CQC] INFO Daily digest: 1 change at 1 location"
    assert digest_subject(digest(warning(HENLEY)), None) == (
        "[CQC] WARNING Digest: 1 change at 1 location (1 warning)"
    )


def test_locations_come_worst_first_then_busiest_and_keep_their_events_in_order() -> None:
    quiet, busy, bad = info(ALLIED, 1), [info(HENLEY, 1), info(HENLEY, 2)], warning(LUCERNE)
    groups = by_location([quiet, *busy, bad])
    assert [group.location.name for group in groups] == [
        "Lucerne House",
        "Henley House",
        "Allied Healthcare Bournemouth",
    ]
    assert [group.severity for group in groups] == ["warning", "info", "info"]
    body = digest_body(digest(quiet, *busy, bad), "weekly")
    assert body.index("Lucerne House (1-125856395) — WARNING") < body.index(
        "Henley House (1-10000302982) — INFO"
    )
    assert "from Mon 23 Nov 2026 08:00 to Mon 30 Nov 2026 08:00 (Europe/London)" in body


def test_a_digest_key_depends_on_its_sink_window_and_events_only() -> None:
    key = digest_key("hook", "2026-11-30T08:00:00Z", ["evt_b", "evt_a"])
    assert key == digest_key("hook", "2026-11-30T08:00:00Z", ["evt_a", "evt_b"])
    assert key.startswith("dgst_") and len(key) == 31
    assert key != digest_key("mail", "2026-11-30T08:00:00Z", ["evt_a", "evt_b"])
    assert key != digest_key("hook", "2026-12-07T08:00:00Z", ["evt_a", "evt_b"])


def test_a_whole_digest_is_one_body_with_the_digest_id() -> None:
    events = (inspection_event(HENLEY), info(ALLIED, 3))
    (part,) = digest_parts(digest(*events), 256 * 1024)
    assert part.webhook_id == "dgst_test"
    payload = json.loads(part.body)
    assert payload["type"] == "digest" and payload["timestamp"] == "2026-11-30T08:00:00Z"
    assert payload["data"] == {
        "id": "dgst_test",
        "window_start": "2026-11-23T08:00:00Z",
        "window_end": "2026-11-30T08:00:00Z",
        "part": 1,
        "parts": 1,
        "events": [event.to_dict() for event in in_digest_order(events)],
    }


def test_a_digest_over_the_limit_is_cut_into_numbered_parts_within_it() -> None:
    events = tuple(info(HENLEY, n) for n in range(40))
    whole = digest(*events)
    parts = digest_parts(whole, 4096)
    assert len(parts) > 2
    assert [part.webhook_id for part in parts] == [
        f"dgst_test.{n}" for n in range(1, len(parts) + 1)
    ]
    assert all(len(part.body.encode()) <= 4096 for part in parts)
    carried = [event for part in parts for event in json.loads(part.body)["data"]["events"]]
    assert carried == [event.to_dict() for event in whole.events]
    assert {json.loads(part.body)["data"]["parts"] for part in parts} == {len(parts)}
    assert digest_parts(whole, 4096) == parts  # a retry sends the very same parts


def test_an_event_larger_than_the_limit_goes_alone_rather_than_lost() -> None:
    huge = make_event("data_review", HENLEY, date="2026-11-01", text="x" * 6000)
    parts = digest_parts(digest(info(ALLIED, 1), huge, info(LUCERNE, 2)), 4096)
    sizes = [len(json.loads(part.body)["data"]["events"]) for part in parts]
    assert sum(sizes) == 3
    alone = [part for part in parts if "x" * 6000 in part.body]
    assert len(alone) == 1 and len(json.loads(alone[0].body)["data"]["events"]) == 1


def status_with_held(window: datetime) -> dict[str, Any]:
    completed = {"status": "completed", "last_completed_at": END, "error": None}
    return {
        "failing": [],
        "failing_searches": [],
        "source_shape": {"learned_at": END, "changes": [], "unacknowledged": 0},
        "deliveries": {},
        "held": {"hook": {"deliveries": 3, "window": window}},
        "disabled_sinks": [],
        "cycles": {"incremental": dict(completed), "full": dict(completed)},
        "schema": {"current": "0011", "head": "0011"},
        "printed_cycles": {"incremental": None, "full": None},
        "feed_watermark": None,
        "lease": None,
        "schedules": [],
        "locations": {},
    }


def test_status_shows_held_deliveries_and_needs_attention_once_their_window_is_long_past() -> None:
    waiting = status_with_held(END)
    assert attention(waiting, START) == []
    lines = report_lines({**waiting, "cycles": waiting["printed_cycles"]}, [])
    assert "  hook                 3 held for digest (next window 2026-11-30 08:00:00Z)" in lines
    assert "  none waiting" not in lines
    late = attention(waiting, datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert late == [
        "sink 'hook' holds 3 delivery(ies) for a digest window that passed at "
        "2026-11-30 08:00:00Z: is `run` up? (`cqc-monitor digest send` sends them now)"
    ]
