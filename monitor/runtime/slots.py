"""Slots: which scheduled fire a cycle belongs to, and what is owed after downtime.

Pure decisions over APScheduler triggers and the stored job state; no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.cron import build_trigger, missed_slot
from monitor.settings.sections import ScheduleSettings
from monitor.store.runstate import JobRecord

# Interval slots count from a fixed instant so they are the same slots after a restart.
INTERVAL_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)
# A slot whose cycle never finished, or failed, is still owed.
RERUN_STATUSES = frozenset({"abandoned", "running", "failed"})
# A failed cycle is retried after 15 minutes, then 30, 60… at most every 6 hours, so an API
# outage at 07:00 still gives same-day alerts once it ends.
RETRY_FIRST = timedelta(minutes=15)
RETRY_MAX = timedelta(hours=6)
_TICK = timedelta(microseconds=1)


def catch_up_slot(trigger: BaseTrigger, record: JobRecord | None, now: datetime) -> datetime | None:
    """The one slot to run at start-up, or None.

    A first start owes nothing; afterwards every slot since the last one that ran (or since
    the first recorded next run) is owed, coalesced into the newest.
    """
    if record is None:
        return None
    if record.last_slot is not None:
        after = record.last_slot
        if record.last_status in RERUN_STATUSES:
            after -= _TICK
    elif record.next_run_at is not None:
        after = record.next_run_at - _TICK
    else:
        return None
    return missed_slot(trigger, after, now)


def cycle_triggers(schedule: ScheduleSettings) -> dict[str, BaseTrigger]:
    """Crontab triggers in the configured zone; ``changes_every_seconds`` polls at an interval."""
    zone = ZoneInfo(schedule.timezone)
    triggers = {
        "changes": build_trigger(schedule.changes, zone),
        "review": build_trigger(schedule.review, zone),
    }
    if schedule.changes_every_seconds:
        triggers["changes"] = IntervalTrigger(
            seconds=schedule.changes_every_seconds, start_date=INTERVAL_ANCHOR, timezone=UTC
        )
    return triggers


def retry_delay(failures: int) -> timedelta:
    """How long to wait before retrying a slot that has failed ``failures`` times in a row."""
    delay: timedelta = RETRY_FIRST * 2 ** max(0, failures - 1)
    return min(RETRY_MAX, delay)
