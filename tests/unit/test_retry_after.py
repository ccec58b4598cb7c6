"""Reading Retry-After: every value, however absurd, becomes a wait that date arithmetic takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.net.retry_after import DEFAULT_LIMIT, clamp_seconds, retry_after_seconds

NOW = datetime(2025, 11, 3, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("Mon, 03 Nov 2025 07:01:30 GMT", 90.0),
        ("Mon, 03 Nov 2025 06:00:00 GMT", 0.0),
        ("999999999999", DEFAULT_LIMIT),
        ("9" * 400, DEFAULT_LIMIT),
        ("Fri, 31 Dec 9999 23:59:59 GMT", DEFAULT_LIMIT),
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("1e9", None),
        ("Mon, 03 Nov 99999 07:00:00 GMT", None),
        ("", None),
        (None, None),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_a_retry_after_value_becomes_a_bounded_wait(value: str | None, seconds: float) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_the_limit_is_the_callers() -> None:
    assert retry_after_seconds("86400", NOW, limit=120) == 120


@pytest.mark.parametrize(
    "value",
    ["999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"],
    ids=["huge-seconds", "infinite-seconds", "far-date"],
)
def test_the_wait_can_always_be_added_to_a_date(value: str) -> None:
    seconds = retry_after_seconds(value, NOW)
    assert seconds is not None
    assert NOW + timedelta(seconds=seconds) > NOW


def test_clamping_handles_what_float_arithmetic_produces() -> None:
    assert clamp_seconds(float("nan"), 10) == 0
    assert clamp_seconds(float("inf"), 10) == 10
    assert clamp_seconds(-3, 10) == 0
