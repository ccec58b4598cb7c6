"""Standard crontab expressions → APScheduler 3 triggers.

APScheduler numbers weekdays from Monday (0 = mon) while crontab numbers them from Sunday
(0 or 7 = Sunday), and APScheduler ANDs day-of-month with day-of-week where cron ORs them
when both are restricted. Operators write crontab, so we translate: weekday numbers become
explicit names and a restricted day pair becomes an ``OrTrigger``.

Every command validates the ``[schedule]`` strings, while only ``run`` schedules anything:
``check_expression`` gives APScheduler's verdict without loading it for the plain numbers,
ranges, steps and lists that schedules are made of, and asks APScheduler about the rest.

When a trigger fires (``fire_times``, ``latest_slot``, ``next_slot``) is asked by the runtime
of its cycles and by the services of each sink's digest windows, so it lives here, below both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from monitor.errors import CronError

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAME_NUMBERS = {name: number for number, name in enumerate(_DAY_NAMES)}
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


_TICK = timedelta(microseconds=1)
_LOOKBACK = timedelta(days=5 * 366)
# A schedule's cadence, as a digest's subject names it: the fields a crontab string restricts.
_CADENCES = {
    ("fixed", "fixed", "*", "*", "*"): "daily",
    ("fixed", "fixed", "*", "*", "days"): "daily",  # on weekdays only: still once a day
    ("fixed", "fixed", "*", "*", "one"): "weekly",
    ("fixed", "fixed", "fixed", "*", "*"): "monthly",
    ("fixed", "*", "*", "*", "*"): "hourly",
}


# APScheduler's bounds of the fields a plain expression may hold (its MIN_VALUES, MAX_VALUES).
_BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12)}
# APScheduler's AllExpression and RangeExpression, ASCII digits only: ``*``, ``*/s``, ``a``,
# ``a-b``, ``a/s``, ``a-b/s``.
_PLAIN = re.compile(r"(?:\*|(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?)(?:/(?P<step>[0-9]+))?")


def build_trigger(expression: str, timezone: tzinfo) -> BaseTrigger:
    """A trigger firing exactly when crontab would fire ``expression``."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, weekday = _fields(expression)
    weekdays = _weekday_names(weekday)
    try:
        if day != "*" and weekday != "*":
            return OrTrigger(
                [
                    CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=timezone),
                    CronTrigger(
                        minute=minute,
                        hour=hour,
                        month=month,
                        day_of_week=weekdays,
                        timezone=timezone,
                    ),
                ]
            )
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekdays,
            timezone=timezone,
        )
    except ValueError as exc:
        raise CronError(f"{expression!r}: {exc}") from exc


def check_expression(expression: str) -> None:
    """CronError when ``build_trigger`` would refuse ``expression``, with its words."""
    *dated, weekday = _fields(expression)
    _weekday_names(weekday)
    if all(_plain(text, name) for text, name in zip(dated, _BOUNDS, strict=True)):
        return
    build_trigger(expression, UTC)  # names, ``last``, ``2nd fri``, or a mistake: its verdict


def _fields(expression: str) -> list[str]:
    fields = _MACROS.get(expression.strip(), expression).split()
    if len(fields) != 5:
        raise CronError(f"{expression!r} must have 5 fields: minute hour day month weekday")
    return fields


def _plain(field: str, name: str) -> bool:
    """True when every part of ``field`` is a plain expression APScheduler's CronTrigger
    accepts for ``name``: the checks of its ``validate_range``, in its arithmetic."""
    low, high = _BOUNDS[name]
    for part in re.split(" *, *", field.strip()):
        match = _PLAIN.fullmatch(part)
        if match is None:
            return False
        step = int(match["step"]) if match["step"] else None
        if step == 0:
            return False
        if match["first"] is None:  # *, */step
            if step and step > high - low:
                return False
            continue
        first = int(match["first"])
        last = int(match["last"]) if match["last"] else (first if step is None else None)
        if (last is not None and (first > last or last > high)) or first < low:
            return False
        if step and step > (last or high) - first:
            return False
    return True


def _weekday_names(field: str) -> str:
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        days |= _expand(part.strip().lower())
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _expand(part: str) -> set[int]:
    base, _, step_text = part.partition("/")
    step = _int(step_text, part) if step_text else 1
    if step < 1:
        raise CronError(f"weekday step must be positive in {part!r}")
    if base == "*":
        first, last = 0, 6
    elif "-" in base:
        start, _, end = base.partition("-")
        first, last = _day(start), _day(end)
        if last == 0 and end.strip() in {"7"}:
            last = 7
    else:
        first = last = _day(base)
        if step_text:
            last = 6
    if last < first:
        raise CronError(f"weekday range runs backwards in {part!r}")
    return {d % 7 for d in range(first, last + 1, step)}


def _day(text: str) -> int:
    if text in _NAME_NUMBERS:
        return _NAME_NUMBERS[text]
    number = _int(text, text)
    if not 0 <= number <= 7:
        raise CronError(f"weekday {text!r} is outside 0-7")
    return number


def _int(text: str, context: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CronError(f"{context!r} is not a weekday") from None


def cadence(expression: str) -> str | None:
    """``hourly``, ``daily``, ``weekly`` or ``monthly`` when the crontab string fires once an
    hour, once a day (every day or some weekdays), once a week or once a month; None for
    anything else (twice a day, every 15 minutes, the first Monday of the quarter...)."""
    minute, hour, day, month, weekday = _fields(expression)
    shape = (_kind(minute), _kind(hour), _kind(day), _kind(month), _weekday_kind(weekday))
    return _CADENCES.get(shape)


def _kind(field: str) -> str:
    if field == "*":
        return "*"
    return "fixed" if field.isdigit() else "many"


def _weekday_kind(field: str) -> str:
    if field == "*":
        return "*"
    try:
        days = _weekday_names(field).split(",")
    except CronError:
        return "many"
    return "one" if len(days) == 1 else ("days" if len(days) < 7 else "*")


# --- when a trigger fires ---------------------------------------------------------------------


def slot_key(job: str, slot: datetime) -> str:
    """``changes:2026-11-30T07:00:00+00:00``: one scheduled fire of a job, unique in the
    database (a cycle's, a digest's), so replicas that reach it agree on who runs it."""
    return f"{job}:{slot.astimezone(UTC).isoformat()}"


def fire_times(trigger: BaseTrigger, after: datetime, until: datetime) -> Iterator[datetime]:
    """The trigger's fire times ``t`` with ``after < t <= until``, in order."""
    moment = trigger.get_next_fire_time(None, after + _TICK)
    while moment is not None and moment <= until:
        yield moment
        moment = trigger.get_next_fire_time(None, moment + _TICK)


def missed_slot(trigger: BaseTrigger, after: datetime, now: datetime) -> datetime | None:
    """The latest fire time in ``(after, now]``, or None.

    Searched backwards from ``now`` in doubling windows, so a year of downtime on a
    minutely schedule costs a few steps rather than half a million.
    """
    window = timedelta(minutes=1)
    while True:
        start = max(after, now - window)
        latest = None
        for latest in fire_times(trigger, start, now):  # noqa: B007 - we want the last one
            pass
        if latest is not None or start == after:
            return latest.astimezone(UTC) if latest is not None else None
        window *= 2


def latest_slot(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The slot a fire at ``now`` belongs to (a late, coalesced fire gets the newest one)."""
    return missed_slot(trigger, now - _LOOKBACK, now)


def next_slot(trigger: BaseTrigger, now: datetime) -> datetime | None:
    moment = trigger.get_next_fire_time(None, now + _TICK)
    return moment.astimezone(UTC) if moment is not None else None
