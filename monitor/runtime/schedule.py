"""The APScheduler wiring: when each job runs. What a job does is in ``jobs``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.cron import next_slot, slot_key
from monitor.runtime.jobs import DELIVER, TAKEOVER, Jobs, Retry
from monitor.runtime.slots import catch_up_slot
from monitor.store import runstate

log = structlog.get_logger(__name__)


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
            self.scheduler.add_job(self._run_cycle, trigger, args=[job], id=job, name=job)
        for job, trigger in jobs.digest_triggers.items():
            sink = job.partition(":")[2]
            self.scheduler.add_job(jobs.digest, trigger, args=[sink], id=job, name=job)
        now = datetime.now(UTC)
        self.scheduler.add_job(
            jobs.deliver, IntervalTrigger(seconds=deliver_every), id=DELIVER, next_run_time=now
        )
        self.scheduler.add_job(
            heartbeat, IntervalTrigger(seconds=heartbeat_every), id="heartbeat", next_run_time=now
        )
        if jobs.app.replicated:
            # Replicas look for a cycle whose owner stopped renewing its lease at every
            # heartbeat; while one is being finished here, the next looks are skipped.
            self.scheduler.add_job(
                self._take_over, IntervalTrigger(seconds=heartbeat_every), id=TAKEOVER
            )
        self.scheduler.add_listener(_log_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)

    def _run_cycle(self, job: str, slot: datetime | None = None, trigger: str = "schedule") -> None:
        retry = self.jobs.run_cycle(job, slot, trigger)
        if retry is not None and self.scheduler.running:
            self._retry_later(retry)

    def _take_over(self) -> None:
        retry = self.jobs.take_over()
        if retry is not None and self.scheduler.running:
            self._retry_later(retry)

    def _retry_later(self, retry: Retry) -> None:
        self.scheduler.add_job(
            self._run_cycle,
            "date",
            args=[retry.job, retry.slot, "retry"],
            id=f"{retry.job}-retry",
            replace_existing=True,
            run_date=datetime.now(UTC) + retry.delay,
        )

    def start(self) -> None:
        self.scheduler.start()

    def catch_up(self) -> list[str]:
        """Queue the one owed slot of each cycle job; record every job's next run (the digest
        windows' too).

        Called before ``start`` so the catch-up is decided on the state the last run left.
        """
        app, now = self.jobs.app, self.jobs.app.clock.now()
        with app.sessions.begin() as session:
            records = runstate.load_jobs(session)
            for job, trigger in {**self.jobs.triggers, **self.jobs.digest_triggers}.items():
                runstate.save_job(session, job, next_run_at=next_slot(trigger, now))
            # A sink that no longer has a digest has no window to show.
            runstate.drop_jobs(session, "digest:", keep=list(self.jobs.digest_triggers))
        # A digest's windows may have moved since its deliveries were held; those whose
        # window passed while no worker ran go as one digest in the first delivery round.
        self.jobs.dispatcher.digests.restamp(now)
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
                self._run_cycle,
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
    if event.job_id == TAKEOVER:
        return  # a takeover still running: nothing was owed
    reason = "still running" if event.code == EVENT_JOB_MAX_INSTANCES else "missed"
    log.info("job_skipped", job=event.job_id, reason=reason)
