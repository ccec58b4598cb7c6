"""Standard crontab semantics on top of APScheduler (0 = Sunday)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.cron import build_trigger
from monitor.errors import CronError

LONDON = ZoneInfo("Europe/London")
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=LONDON)


def fires(expression: str, after: datetime = SATURDAY, count: int = 3) -> list[datetime]:
    trigger = build_trigger(expression, LONDON)
    times, previous, now = [], None, after
    for _ in range(count):
        moment = trigger.get_next_fire_time(previous, now)
        assert moment is not None
        times.append(moment)
        previous, now = moment, moment
    return times


def test_weekday_zero_is_sunday() -> None:
    (first,) = fires("0 9 * * 0", count=1)
    assert first == datetime(2026, 11, 29, 9, 0, tzinfo=LONDON)
    assert first.strftime("%A") == "Sunday"


def test_seven_is_sunday_too_and_one_is_monday() -> None:
    assert fires("0 9 * * 7", count=1)[0].strftime("%A") == "Sunday"
    assert fires("0 9 * * 1", count=1)[0].strftime("%A") == "Monday"


def test_weekday_range_is_monday_to_friday() -> None:
    days = {m.strftime("%a") for m in fires("30 7 * * 1-5", count=10)}
    assert days == {"Mon", "Tue", "Wed", "Thu", "Fri"}


def test_day_of_month_or_weekday_like_cron() -> None:
    # cron fires on the 1st AND on every Friday when both are restricted.
    moments = fires("0 6 1 * 5", count=3)
    assert [m.date().isoformat() for m in moments] == ["2026-12-01", "2026-12-04", "2026-12-11"]


def test_monthly_review_default_fires_on_the_first() -> None:
    (first,) = fires("0 6 1 * *", count=1)
    assert first == datetime(2026, 12, 1, 6, 0, tzinfo=LONDON)


@pytest.mark.parametrize("expression", ["0 9 * *", "0 9 * * 8", "61 9 * * *", "0 9 * * mon-"])
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(CronError):
        build_trigger(expression, LONDON)
