"""``cqc-monitor sinks``: each sink's state and queue, and what ``sinks enable`` reports.

Pure functions of the configuration and what the store read, so they are tested with literals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.services.disabled_sinks import Enabled
    from monitor.sinks.base import SinkConfig
    from monitor.store.sink_states import DisabledSink
    from monitor.store.sink_tests import LastTest

COLUMNS = (
    "name",
    "type",
    "state",
    "since",
    "reason",
    "digest",
    "pending",
    "held",
    "failed",
    "dead",
    "last_test",
)
# held: waiting for the sink's digest window
QUEUE_STATES = ("pending", "held", "failed", "dead")


def sink_rows(
    configured: Sequence[SinkConfig],
    disabled: Sequence[DisabledSink],
    deliveries: Mapping[str, Mapping[str, int]],
    others: Sequence[str] = (),
    tests: Mapping[str, LastTest] | None = None,
) -> list[dict[str, Any]]:
    """Configured sinks in configuration order, then any sink no longer configured that is
    still disabled (``status`` names it until ``sinks enable`` clears it), then ``others``
    (the sinks a database read without its configuration has deliveries or tests for).
    ``tests``: each sink's last ``sinks test``."""
    tests = tests or {}
    states = {sink.name: sink for sink in disabled}
    configs: dict[str, SinkConfig | None] = {config.name: config for config in configured}
    configs.update({name: None for name in (*states, *others) if name not in configs})
    return [
        {**_row(name, config, states.get(name), deliveries.get(name, {})), **_test(tests.get(name))}
        for name, config in configs.items()
    ]


def _row(
    name: str,
    config: SinkConfig | None,
    state: DisabledSink | None,
    counts: Mapping[str, int],
) -> dict[str, Any]:
    return {
        "name": name,
        "type": config.type if config else "(not configured)",
        "configured": config is not None,
        "state": "enabled" if state is None else "disabled",
        "since": _iso(state.since) if state else None,
        "reason": state.reason if state else None,
        "digest": config.digest if config else None,  # its windows' schedule, when it has one
        **{status: counts.get(status, 0) for status in QUEUE_STATES},
    }


def _test(test: LastTest | None) -> dict[str, Any]:
    """When the sink was last tested and how it went: ``2026-12-07T09:00:00Z sent``."""
    if test is None:
        return {"last_test": None}
    sent_at = _iso(test.sent_at.replace(microsecond=0))
    return {"last_test": f"{sent_at} {test.outcome}", "last_test_error": test.error}


def enable_message(name: str, enabled: Enabled | None, *, configured: bool) -> str:
    """What ``sinks enable`` did, in one line (``enabled`` None: the sink was not disabled)."""
    if enabled is None:
        return f"sink {name!r} is not disabled: nothing to do"
    was = f"disabled since {_when(enabled.was.since)}: {enabled.was.reason or '410 Gone'}"
    if not configured:
        return f"sink {name!r} cleared ({was}); it is not configured, so nothing was re-queued"
    if not enabled.requeued:
        return f"sink {name!r} enabled ({was}); no delivery was waiting for it"
    return (
        f"sink {name!r} enabled ({was}); re-queued {enabled.requeued} dead delivery(ies): "
        "the running worker or `cqc-monitor deliver` sends them"
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _iso(moment: datetime) -> str:
    """As ``alerts`` and ``history`` print their times."""
    return moment.isoformat().replace("+00:00", "Z")
