"""Slot and catch-up decisions of the scheduler, with literal times (Europe/London)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.cron import build_trigger, latest_slot, missed_slot, next_slot, slot_key
from monitor.runtime.slots import catch_up_slot, cycle_triggers, retry_delay
from monitor.settings.sections import ScheduleSettings
from monitor.store.runstate import JobRecord

LONDON = ZoneInfo("Europe/London")
DAILY = build_trigger("0 7 * * *", LONDON)
MONTHLY = build_trigger("0 6 1 * *", LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *rest: int) -> datetime:
    second, micro = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_slot_key_names_the_job_and_the_fire_time_in_utc() -> None:
    assert slot_key("changes", london(2026, 7, 1, 7, 0)) == "changes:2026-07-01T06:00:00+00:00"


def test_a_fire_belongs_to_the_newest_slot_at_or_before_it() -> None:
    assert latest_slot(DAILY, utc(2026, 11, 29, 7, 0, 0, 2000)) == utc(2026, 11, 29, 7, 0)
    assert latest_slot(DAILY, utc(2026, 11, 29, 7, 0)) == utc(2026, 11, 29, 7, 0)
    assert latest_slot(DAILY, utc(2026, 11, 29, 6, 59)) == utc(2026, 11, 28, 7, 0)


def test_slots_follow_the_configured_zone_through_summer_time() -> None:
    assert latest_slot(DAILY, utc(2026, 7, 1, 12, 0)) == utc(2026, 7, 1, 6, 0)
    assert latest_slot(MONTHLY, utc(2026, 11, 29, 12, 0)) == utc(2026, 11, 1, 6, 0)


def test_missed_slot_is_the_newest_fire_after_the_last_run() -> None:
    last = utc(2026, 11, 25, 7, 0)
    assert missed_slot(DAILY, last, utc(2026, 11, 29, 12, 0)) == utc(2026, 11, 29, 7, 0)


def test_nothing_is_missed_before_the_next_fire() -> None:
    last = utc(2026, 11, 29, 7, 0)
    assert missed_slot(DAILY, last, utc(2026, 11, 29, 23, 59)) is None
    assert missed_slot(DAILY, last, utc(2026, 11, 30, 7, 0)) == utc(2026, 11, 30, 7, 0)


def test_a_year_of_downtime_on_a_minutely_schedule_coalesces_into_one_slot() -> None:
    every_minute = build_trigger("* * * * *", LONDON)
    now = utc(2026, 11, 29, 12, 34, 56)
    assert missed_slot(every_minute, utc(2025, 11, 29), now) == utc(2026, 11, 29, 12, 34)


def test_sunday_cron_is_caught_up_on_monday() -> None:
    sunday = build_trigger("0 9 * * 0", LONDON)
    monday = utc(2026, 11, 30, 8, 0)
    record = JobRecord("review", last_slot=utc(2026, 11, 22, 9, 0), last_status="completed")
    slot = catch_up_slot(sunday, record, monday)
    assert slot == utc(2026, 11, 29, 9, 0)
    assert slot is not None and slot.astimezone(LONDON).strftime("%A") == "Sunday"


def test_first_start_owes_nothing() -> None:
    assert catch_up_slot(DAILY, None, utc(2026, 11, 29, 12, 0)) is None


def test_a_recorded_next_run_that_passed_while_down_is_owed() -> None:
    record = JobRecord("changes", next_run_at=utc(2026, 11, 28, 7, 0))
    assert catch_up_slot(DAILY, record, utc(2026, 11, 28, 6, 0)) is None
    assert catch_up_slot(DAILY, record, utc(2026, 11, 28, 7, 0)) == utc(2026, 11, 28, 7, 0)
    assert catch_up_slot(DAILY, record, utc(2026, 11, 29, 12, 0)) == utc(2026, 11, 29, 7, 0)


def test_a_completed_slot_is_not_run_again() -> None:
    record = JobRecord("changes", last_slot=utc(2026, 11, 29, 7, 0), last_status="completed")
    assert catch_up_slot(DAILY, record, utc(2026, 11, 29, 12, 0)) is None


@pytest.mark.parametrize("status", ["abandoned", "running"])
def test_a_slot_that_never_finished_is_run_again(status: str) -> None:
    record = JobRecord("changes", last_slot=utc(2026, 11, 29, 7, 0), last_status=status)
    assert catch_up_slot(DAILY, record, utc(2026, 11, 29, 12, 0)) == utc(2026, 11, 29, 7, 0)


def test_a_failed_slot_is_run_again_by_a_restart() -> None:
    # A monthly review that failed on the 1st must not wait a month.
    record = JobRecord("review", last_slot=utc(2026, 11, 1, 6, 0), last_status="failed")
    assert catch_up_slot(MONTHLY, record, utc(2026, 11, 1, 9, 0)) == utc(2026, 11, 1, 6, 0)


def test_failed_slots_are_retried_with_growing_delays() -> None:
    delays = [retry_delay(n) for n in (1, 2, 3, 6, 20)]
    assert delays == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


def test_next_slot_is_strictly_after_now() -> None:
    assert next_slot(DAILY, utc(2026, 11, 29, 7, 0)) == utc(2026, 11, 30, 7, 0)
    assert next_slot(DAILY, utc(2026, 11, 29, 6, 59)) == utc(2026, 11, 29, 7, 0)


def test_configured_crons_use_crontab_weekdays_in_the_configured_zone() -> None:
    schedule = ScheduleSettings(timezone="Europe/London", changes="0 9 * * 0", review="0 6 1 * *")
    triggers = cycle_triggers(schedule)
    saturday = utc(2026, 11, 28, 12, 0)
    assert next_slot(triggers["changes"], saturday) == utc(2026, 11, 29, 9, 0)
    assert next_slot(triggers["review"], utc(2026, 5, 15)) == utc(2026, 6, 1, 5, 0)


def test_fast_polling_slots_are_the_same_after_a_restart() -> None:
    schedule = ScheduleSettings(changes="0 7 * * *", review="0 6 1 * *", changes_every_seconds=5)
    now = utc(2026, 11, 29, 12, 0, 7, 500000)
    before = cycle_triggers(schedule)["changes"]
    after = cycle_triggers(schedule)["changes"]
    assert latest_slot(before, now) == latest_slot(after, now) == utc(2026, 11, 29, 12, 0, 5)
    record = JobRecord("changes", last_slot=utc(2026, 11, 29, 11, 59, 50), last_status="completed")
    assert catch_up_slot(after, record, now + timedelta(seconds=1)) == utc(2026, 11, 29, 12, 0, 5)
    assert next_slot(cycle_triggers(schedule)["review"], now) == utc(2026, 12, 1, 6, 0)
