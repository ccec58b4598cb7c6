"""A saved search's failure streak: when it alerts, what the alert says, how status words it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.search_health import (
    SearchHealth,
    after_failure,
    after_resolution,
    search_attention,
    search_lines,
)
from monitor.sinks.email_render import render_html
from monitor.sinks.text import subject, text_block

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
ERROR = "https://api.example/locations claims 1000000000 pages for 3 records"


def fail(health: SearchHealth, day: int) -> tuple[SearchHealth, list[str]]:
    moment = T0 + timedelta(days=day)
    after, events = after_failure(
        health, ERROR, now=moment, failing_after=3, detected_at=moment.isoformat()
    )
    return after, [event.type for event in events]


def test_the_third_failure_in_a_row_alerts_once_and_a_resolution_recovers() -> None:
    health = SearchHealth("kent-care-homes")
    health, first = fail(health, 0)
    health, second = fail(health, 1)
    health, third = fail(health, 2)
    health, fourth = fail(health, 3)

    assert (first, second, third, fourth) == ([], [], ["monitor_failing"], [])
    assert health == SearchHealth("kent-care-homes", 4, T0, True, ERROR)
    cleared, events = after_resolution(health, detected_at="2026-11-06T06:00:00Z")
    assert cleared == SearchHealth("kent-care-homes")
    (recovered,) = events
    assert recovered.type == "monitor_recovered" and recovered.severity == "info"
    assert recovered.summary == (
        "Saved search kent-care-homes can be resolved again after 4 failed cycles."
    )
    assert recovered.details == {
        "search": "kent-care-homes",
        "consecutive_failures": 4,
        "last_error": ERROR,
    }


def test_a_failure_below_the_threshold_then_a_resolution_is_silent() -> None:
    health, _ = fail(SearchHealth("kent-care-homes"), 0)
    assert after_resolution(health, detected_at="x") == (SearchHealth("kent-care-homes"), [])


def test_the_failing_event_names_the_search_in_place_of_a_location() -> None:
    _, (event,) = after_failure(
        SearchHealth("kent-care-homes", 2, T0), ERROR, now=T0, failing_after=3, detected_at="d"
    )
    payload = event.to_dict()
    assert payload["location"] == {
        "id": "search:kent-care-homes",
        "name": "Saved search kent-care-homes",
        "provider_id": None,
        "url": "",
    }
    assert payload["details"]["search"] == "kent-care-homes"
    assert event.summary == (
        f"Saved search kent-care-homes could not be resolved in 3 consecutive cycles: {ERROR}. "
        "Its members are still watched."
    )
    # The same streak is the same event: a cycle run again after a crash alerts once.
    _, (again,) = after_failure(
        SearchHealth("kent-care-homes", 2, T0), ERROR, now=T0, failing_after=3, detected_at="e"
    )
    assert again.id == event.id
    assert subject([event]) == (
        "[CQC] WARNING Saved search kent-care-homes: monitoring failing (3 checks in a row)"
    )
    block = text_block(event)
    assert "CQC location page" not in block and "Last error: " + ERROR in block
    assert 'href=""' not in render_html([event], "title")


def test_status_words_each_failing_search() -> None:
    rows = [{"name": "kent", "since": T0, "failures": 1, "last_error": ERROR}]
    assert search_attention(rows) == [
        f"saved search 'kent' cannot be resolved (1 cycle in a row since 2026-11-02 06:00:00Z): "
        f"{ERROR}"
    ]
    assert search_lines(rows) == [
        "",
        "saved searches that cannot be resolved (their members stay watched):",
        f"  kent since 2026-11-02 06:00:00Z, 1 cycle: {ERROR}",
    ]
    assert search_attention([]) == [] and search_lines([]) == []
