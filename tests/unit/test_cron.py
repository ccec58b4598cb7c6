"""Standard crontab semantics on top of APScheduler (0 = Sunday)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cron import build_trigger, check_expression
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


# What the [schedule] strings are made of, and the mistakes made writing them: numbers in and
# out of range, ranges either way round, steps (0 and too large too), lists, names, APScheduler's
# own words (last, 2nd fri), stray characters.
_EDGES = (0, 1, 2, 11, 12, 13, 22, 23, 24, 30, 31, 32, 58, 59, 60, 61)  # each field's bounds
_NUMBER = st.one_of(st.sampled_from(_EDGES), st.integers(min_value=0, max_value=99)).map(str)
_PART = st.one_of(
    st.just("*"),
    _NUMBER,
    st.builds("{}-{}".format, _NUMBER, _NUMBER),
    st.builds("*/{}".format, _NUMBER),
    st.builds("{}/{}".format, _NUMBER, _NUMBER),
    st.builds("{}-{}/{}".format, _NUMBER, _NUMBER, _NUMBER),
    st.sampled_from(["jan", "mar-may", "last", "2nd fri", "last sun", "", "x", "1-", "*/", "٣"]),
)
_FIELD = st.lists(_PART, min_size=1, max_size=3).map(",".join)
_WEEKDAY = st.sampled_from(["*", "1-5", "0", "7", "mon", "sat,sun", "*/2", "8", "mon-"])


def _verdict(check: Callable[..., object], *args: object) -> str:
    try:
        check(*args)
    except CronError as exc:
        return f"refused: {exc}"
    return "accepted"


@settings(max_examples=800, deadline=None)
@given(_FIELD, st.integers(min_value=0, max_value=3), _FIELD, _WEEKDAY)
def test_validation_gives_the_verdict_and_the_words_of_the_trigger_it_validates_for(
    field: str, position: int, other: str, weekday: str
) -> None:
    # Every command checks the schedule without loading APScheduler: what it accepts is what
    # ``run`` can schedule, and what it refuses is refused with APScheduler's explanation.
    fields = ["*", "*", "*", "*"]
    fields[position] = field
    fields[(position + 1) % 4] = other if position % 2 else "*"
    expression = " ".join([*fields, weekday])
    assert _verdict(check_expression, expression) == _verdict(build_trigger, expression, LONDON)


def _plain_fields() -> list[str]:
    """Every plain expression over the fields' bounds: numbers, ranges, steps."""
    numbers = [str(n) for n in _EDGES]
    fields = ["*", *numbers, *(f"*/{n}" for n in numbers)]
    fields += [f"{a}-{b}" for a in numbers for b in numbers]
    fields += [f"{a}/{n}" for a in numbers for n in numbers]
    fields += [f"{a}-{b}/{n}" for a in numbers for b in numbers for n in numbers[::3]]
    return fields


@pytest.mark.parametrize("position", range(4), ids=["minute", "hour", "day", "month"])
def test_every_plain_expression_at_the_bounds_is_judged_as_the_trigger_judges_it(
    position: int,
) -> None:
    for field in _plain_fields():
        fields = ["*", "*", "*", "*", "*"]
        fields[position] = field
        expression = " ".join(fields)
        expected = _verdict(build_trigger, expression, LONDON)
        assert _verdict(check_expression, expression) == expected, expression


@pytest.mark.parametrize(
    "expression", ["0 7 * * *", "0 6 1 * *", "*/15 6-22 * * 1-5", "0 0 1,15 */2 *", "@daily"]
)
def test_plain_schedules_are_validated_without_apscheduler(expression: str) -> None:
    probe = (
        "import sys; from monitor.cron import check_expression; "
        f"check_expression({expression!r}); print('apscheduler' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
