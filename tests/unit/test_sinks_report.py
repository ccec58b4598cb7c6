"""What ``sinks``, ``sinks enable`` and ``status`` say about a sink a 410 disabled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.cli.sinks_report import enable_message, sink_rows
from monitor.cli.status_report import attention, report_lines
from monitor.services.disabled_sinks import Enabled
from monitor.sinks.base import SinkConfig
from monitor.store.sink_states import DisabledSink
from monitor.store.sink_tests import LastTest

SINCE = datetime(2026, 11, 29, 7, 1, 2, tzinfo=UTC)
GONE = DisabledSink("hook", SINCE, "HTTP 410 Gone (endpoint gone)")


def test_sinks_lists_configured_sinks_in_order_then_disabled_ones_no_longer_configured() -> None:
    configured = [SinkConfig(name="mail", type="email"), SinkConfig(name="hook", type="webhook")]
    retired = DisabledSink("old", SINCE, None)
    counts = {"hook": {"dead": 3, "pending": 0, "failed": 0}, "old": {"dead": 1}}

    rows = sink_rows(configured, [retired, GONE], counts)

    assert [(r["name"], r["type"], r["state"], r["dead"]) for r in rows] == [
        ("mail", "email", "enabled", 0),
        ("hook", "webhook", "disabled", 3),
        ("old", "(not configured)", "disabled", 1),
    ]
    assert rows[1]["since"] == "2026-11-29T07:01:02Z"
    assert rows[1]["reason"] == "HTTP 410 Gone (endpoint gone)"
    assert (rows[0]["since"], rows[0]["reason"], rows[2]["configured"]) == (None, None, False)


def test_sinks_shows_each_sinks_last_test_and_lists_a_sink_only_tested_without_config() -> None:
    tests = {
        "hook": LastTest("hook", SINCE.replace(microsecond=250), "failed", "HTTP 500"),
        "pager": LastTest("pager", SINCE, "sent", None),
    }
    rows = sink_rows([SinkConfig(name="hook", type="webhook")], [], {}, ["pager"], tests)

    assert [(r["name"], r["last_test"]) for r in rows] == [
        ("hook", "2026-11-29T07:01:02Z failed"),
        ("pager", "2026-11-29T07:01:02Z sent"),
    ]
    assert rows[0]["last_test_error"] == "HTTP 500" and rows[0]["failed"] == 0
    assert sink_rows([SinkConfig(name="mail", type="email")], [], {})[0]["last_test"] is None


def test_enable_says_what_it_did_with_the_dead_deliveries() -> None:
    was = "disabled since 2026-11-29 07:01:02Z: HTTP 410 Gone (endpoint gone)"
    assert enable_message("hook", Enabled(GONE, 4), configured=True) == (
        f"sink 'hook' enabled ({was}); re-queued 4 dead delivery(ies): "
        "the running worker or `cqc-monitor deliver` sends them"
    )
    assert enable_message("hook", Enabled(GONE, 0), configured=True) == (
        f"sink 'hook' enabled ({was}); no delivery was waiting for it"
    )
    assert enable_message("hook", Enabled(GONE, 0), configured=False) == (
        f"sink 'hook' cleared ({was}); it is not configured, so nothing was re-queued"
    )
    assert enable_message("hook", None, configured=True) == (
        "sink 'hook' is not disabled: nothing to do"
    )


def healthy_status(**changes: Any) -> dict[str, Any]:
    completed = {"status": "completed", "last_completed_at": SINCE, "error": None}
    status: dict[str, Any] = {
        "failing": [],
        "failing_searches": [],
        "source_shape": {"learned_at": SINCE, "changes": [], "unacknowledged": 0},
        "deliveries": {},
        "disabled_sinks": [],
        "cycles": {"incremental": dict(completed), "full": dict(completed)},
    }
    return status | changes


def test_a_disabled_sink_needs_attention_even_with_nothing_dead() -> None:
    disabled = [{"name": "hook", "since": SINCE, "reason": "HTTP 410 Gone (endpoint gone)"}]
    assert attention(healthy_status(), SINCE) == []
    assert attention(healthy_status(disabled_sinks=disabled), SINCE) == [
        "sink 'hook' disabled since 2026-11-29 07:01:02Z: HTTP 410 Gone (endpoint gone)"
    ]


def test_the_status_report_lists_disabled_sinks_with_the_command_that_enables_them() -> None:
    status = healthy_status(
        schema={"current": "0006", "head": "0006"},
        feed_watermark=None,
        lease=None,
        schedules=[],
        locations={"active": 1},
        cycles={"incremental": None, "full": None},
    )
    disabled = [{"name": "hook", "since": SINCE, "reason": None}]

    lines = report_lines(status | {"disabled_sinks": disabled}, [])

    at = lines.index("disabled sinks (cqc-monitor sinks enable NAME, once the receiver is fixed):")
    assert lines[at + 1] == "  'hook' disabled since 2026-11-29 07:01:02Z: 410 Gone"
    assert not any("disabled" in line for line in report_lines(status, []))
