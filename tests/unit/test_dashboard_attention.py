"""The Deliveries page's order: the sinks that need someone's attention lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.store.dashboard_queries import Backlog
from monitor.store.sink_states import DisabledSink
from monitor.web.views import attention_first


def sink(name: str, *, disabled: bool = False, **counts: int) -> dict[str, Any]:
    gone = DisabledSink(name, datetime(2026, 1, 1, tzinfo=UTC), "HTTP 410") if disabled else None
    return {"backlog": Backlog(name, **counts), "disabled": gone}


def test_disabled_then_dead_then_failed_then_the_rest_each_in_name_order() -> None:
    sinks = [
        sink("a-fine"),
        sink("b-failing", failed=2),
        sink("c-dead", dead=1, failed=1),
        sink("d-waiting", pending=4),
        sink("e-disabled", disabled=True),
        sink("f-dead", dead=3),
    ]
    order = [item["backlog"].sink for item in attention_first(sinks)]
    assert order == ["e-disabled", "c-dead", "f-dead", "b-failing", "a-fine", "d-waiting"]
