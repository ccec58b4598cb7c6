"""Standard crontab expressions → APScheduler 3 triggers.

APScheduler numbers weekdays from Monday (0 = mon) while crontab numbers them from Sunday
(0 or 7 = Sunday), and APScheduler ANDs day-of-month with day-of-week where cron ORs them
when both are restricted. Operators write crontab, so we translate: weekday numbers become
explicit names and a restricted day pair becomes an ``OrTrigger``.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from monitor.errors import CronError

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


def build_trigger(expression: str, timezone: tzinfo) -> BaseTrigger:
    """A trigger firing exactly when crontab would fire ``expression``."""
    fields = _MACROS.get(expression.strip(), expression).split()
    if len(fields) != 5:
        raise CronError(f"{expression!r} must have 5 fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
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
