"""The schedule of ``run`` (SPEC §1, §3): the daily poll, the monthly review, the dispatcher tick.

Every scheduled fire is a *slot* (``changes:2026-11-30T07:00:00+00:00``). A cycle row carries
its slot key under a unique constraint, so a slot runs once however many processes fire it,
and the run state (last slot, next run) lives in ``job_state`` rather than a pickled job store:
after downtime the latest missed slot runs once, as a catch-up, however many were missed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError

from monitor.bootstrap import App
from monitor.metrics import Metrics
from monitor.services.review import CycleAbandoned, CycleKind, CycleReport
from monitor.slots import catch_up_slot, latest_slot, next_slot, retry_delay, slot_key
from monitor.store import runstate

log = structlog.get_logger(__name__)

CYCLE_JOBS: dict[str, CycleKind] = {"changes": "incremental", "review": "full"}
DELIVER = "deliver"


# --- running the jobs ------------------------------------------------------------------------


class InFlight:
    """Counts running jobs so shutdown can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    def enter(self) -> None:
        with self._changed:
            self._count += 1

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout=max(0.0, timeout))


class Jobs:
    """What each scheduled job does; APScheduler only decides when."""

    def __init__(
        self,
        app: App,
        triggers: dict[str, BaseTrigger],
        metrics: Metrics,
        stop: threading.Event,
    ) -> None:
        self.app = app
        self.triggers = triggers
        self.metrics = metrics
        self.stop = stop
        self.in_flight = InFlight()
        # A poll and a full review never run at once in one process.
        self._cycle_lock = threading.Lock()
        self.dispatcher = app.dispatcher(on_outcome=metrics.delivery_outcome)
        # Set by the schedule: runs a failed slot again later (job, slot, delay).
        self.retry_later: Callable[[str, datetime, timedelta], None] | None = None
        self._failures: dict[str, int] = {}

    def run_cycle(self, job: str, slot: datetime | None = None, trigger: str = "schedule") -> None:
        if self.stop.is_set():
            return
        with self.in_flight.track():
            slot = slot or latest_slot(self.triggers[job], self.app.clock.now())
            if slot is None:
                return
            bound = log.bind(job=job, slot=slot_key(job, slot), trigger=trigger)
            if not self._take_cycle_lock(job, bound):
                return
            try:
                self._guarded(bound, lambda: self._claim_and_run(job, slot, trigger, bound))
            finally:
                self._cycle_lock.release()

    def deliver(self) -> None:
        """Start a delivery round; returns at once, never waiting for a sink.

        The round, and each sink it drains, runs on a thread of its own (counted in flight, so
        shutdown waits for them): a receiver that stalls holds up its own queue until its
        deadlines run out, never another sink, the next round or a cycle.
        """
        self._spawn(DELIVER, self._round)

    def _round(self) -> None:
        self.dispatcher.retire_unknown_sinks()
        for name in self.dispatcher.sinks:
            if not self.dispatcher.is_draining(name):  # else that thread picks new ones up
                self._spawn(f"{DELIVER}-{name}", partial(self._deliver, name))

    def _spawn(self, name: str, work: Callable[[], None]) -> None:
        self.in_flight.enter()  # before the thread starts, so shutdown cannot miss it

        def run() -> None:
            try:
                self._guarded(log.bind(job=DELIVER, thread=name), work)
            finally:
                self.in_flight.leave()

        threading.Thread(target=run, name=name, daemon=True).start()

    def _take_cycle_lock(self, job: str, bound: Any) -> bool:
        if self._cycle_lock.acquire(blocking=False):
            return True
        if CYCLE_JOBS[job] == "incremental":
            # Nothing is lost: the watermark has not moved, so the next poll covers this window.
            bound.info("job_skipped", reason="another cycle is running")
            return False
        # Skipping would lose a month: the review waits its turn instead.
        bound.info("job_waiting", reason="another cycle is running")
        while not self.stop.is_set():
            if self._cycle_lock.acquire(timeout=0.5):
                return True
        bound.info("job_skipped", reason="shutting down")
        return False

    def _claim_and_run(self, job: str, slot: datetime, trigger: str, bound: Any) -> None:
        key = slot_key(job, slot)
        with self.app.sessions.begin() as session:
            owner = runstate.slot_owner(session, key)
        if owner is not None:
            bound.info("job_skipped", reason=f"slot already run by {owner}")
            return
        self._save(job, last_slot=slot, last_started_at=self.app.clock.now(), last_status="running")
        bound.info("job_started")
        started = time.monotonic()
        status, report = self._review(job, key, trigger, bound)
        if status == "skipped":
            return
        self.metrics.cycle_finished(
            report.kind if report else CYCLE_JOBS[job], status, time.monotonic() - started, report
        )
        self._save(job, last_finished_at=self.app.clock.now(), last_status=status)
        self._retry_if_failed(job, slot, key, status, bound)
        if report is None or self.stop.is_set():
            return
        if report.events:
            self.deliver()  # same-day alerts: do not wait for the next dispatcher tick
        pruned = self.app.prune()  # fetch-log retention, as `check` does
        if pruned:
            bound.info("fetch_log_pruned", rows=pruned)

    def _retry_if_failed(self, job: str, slot: datetime, key: str, status: str, bound: Any) -> None:
        if status != "failed":
            self._failures.pop(job, None)
            return
        failures = self._failures[job] = self._failures.get(job, 0) + 1
        with self.app.sessions.begin() as session:
            cycle_id = runstate.cycle_id_for_slot(session, key)
            runstate.free_slots(session, [cycle_id] if cycle_id else [])
        if self.retry_later is not None and not self.stop.is_set():
            delay = retry_delay(failures)
            bound.warning(
                "job_retry_scheduled", failures=failures, retry_in_s=delay.total_seconds()
            )
            self.retry_later(job, slot, delay)

    def _review(
        self, job: str, key: str, trigger: str, bound: Any
    ) -> tuple[str, CycleReport | None]:
        review = self.app.review(stop=self.stop)
        try:
            return "completed", review.run(CYCLE_JOBS[job], trigger=trigger, slot_key=key)
        except CycleAbandoned:
            with self.app.sessions.begin() as session:
                cycle_id = runstate.cycle_id_for_slot(session, key)
                runstate.free_slots(session, [cycle_id] if cycle_id else [])
            return "abandoned", None
        except IntegrityError:
            with self.app.sessions.begin() as session:
                owner = runstate.slot_owner(session, key)
            if owner is not None and owner != self.app.owner:
                bound.info("job_skipped", reason=f"slot taken by {owner}")
                return "skipped", None
            bound.exception("job_failed")
            return "failed", None
        except Exception as exc:
            bound.error("job_failed", error=str(exc)[:500])
            return "failed", None

    def _deliver(self, sink: str) -> None:
        started = self.app.clock.now()
        status = "completed"
        try:
            self.dispatcher.drain(sink)
        except Exception as exc:
            log.error("job_failed", job=DELIVER, sink=sink, error=str(exc)[:500])
            status = "failed"
        self._save(
            DELIVER,
            last_started_at=started,
            last_finished_at=self.app.clock.now(),
            last_status=status,
        )

    def _save(self, job: str, **values: Any) -> None:
        trigger = self.triggers.get(job)
        if trigger is not None:
            values["next_run_at"] = next_slot(trigger, self.app.clock.now())
        with self.app.sessions.begin() as session:
            runstate.save_job(session, job, **values)

    def _guarded(self, bound: Any, work: Callable[[], None]) -> None:
        # A job that raises would only reach APScheduler's log; the worker must go on.
        try:
            work()
        except Exception:
            bound.exception("job_crashed")


# --- the scheduler ---------------------------------------------------------------------------


class Schedule:
    """APScheduler 3 in a background thread; the main thread keeps the signals."""

    def __init__(
        self,
        jobs: Jobs,
        *,
        timezone: str,
        deliver_every: float,
        heartbeat: Callable[[], None],
        heartbeat_every: float = 5.0,
    ) -> None:
        self.jobs = jobs
        self.scheduler = BackgroundScheduler(
            timezone=ZoneInfo(timezone),
            # Late fires run once, however late: a missed monthly review must still happen.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for job, trigger in jobs.triggers.items():
            self.scheduler.add_job(jobs.run_cycle, trigger, args=[job], id=job, name=job)
        now = datetime.now(UTC)
        self.scheduler.add_job(
            jobs.deliver, IntervalTrigger(seconds=deliver_every), id=DELIVER, next_run_time=now
        )
        self.scheduler.add_job(
            heartbeat, IntervalTrigger(seconds=heartbeat_every), id="heartbeat", next_run_time=now
        )
        self.scheduler.add_listener(_log_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        jobs.retry_later = self._retry_later

    def _retry_later(self, job: str, slot: datetime, delay: timedelta) -> None:
        self.scheduler.add_job(
            self.jobs.run_cycle,
            "date",
            args=[job, slot, "retry"],
            id=f"{job}-retry",
            replace_existing=True,
            run_date=datetime.now(UTC) + delay,
        )

    def start(self) -> None:
        self.scheduler.start()

    def catch_up(self) -> list[str]:
        """Queue the one owed slot of each cycle job; record every job's next run.

        Called before ``start`` so the catch-up is decided on the state the last run left.
        """
        app, now = self.jobs.app, self.jobs.app.clock.now()
        with app.sessions.begin() as session:
            records = runstate.load_jobs(session)
            for job, trigger in self.jobs.triggers.items():
                runstate.save_job(session, job, next_run_at=next_slot(trigger, now))
        owed = []
        for job, trigger in self.jobs.triggers.items():
            slot = catch_up_slot(trigger, records.get(job), now)
            if slot is None:
                continue
            last = records[job].last_slot
            log.info(
                "catch_up",
                job=job,
                slot=slot_key(job, slot),
                last_slot=last.isoformat() if last else None,
                last_status=records[job].last_status,
            )
            self.scheduler.add_job(
                self.jobs.run_cycle,
                "date",
                args=[job, slot, "catch_up"],
                id=f"{job}-catch-up",
                run_date=now,
            )
            owed.append(job)
        return owed

    def shutdown(self) -> None:
        """No new jobs start; running ones carry on until the worker's stop event ends them."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def _log_skipped(event: JobEvent) -> None:
    reason = "still running" if event.code == EVENT_JOB_MAX_INSTANCES else "missed"
    log.info("job_skipped", job=event.job_id, reason=reason)
