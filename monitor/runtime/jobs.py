"""What each scheduled job of ``run`` does (SPEC §1, §3, §6): the daily poll, the monthly review,
the delivery rounds, each sink's digest windows. When they run is ``schedule``'s business.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import structlog
from apscheduler.triggers.base import BaseTrigger

from monitor.bootstrap import App
from monitor.cron import latest_slot, next_slot, slot_key
from monitor.errors import CycleLostError, SlotTakenError
from monitor.runtime.metrics import Metrics
from monitor.runtime.progress import LoggedProgress
from monitor.runtime.slots import retry_delay
from monitor.services.cycle_report import CycleReport
from monitor.services.review import CycleAbandoned, CycleKind, ReviewService
from monitor.store import cycles, digests, runstate
from monitor.store.cycles import TakenCycle

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retry:
    """A failed slot, to be run again after ``delay``."""

    job: str
    slot: datetime
    delay: timedelta


CYCLE_JOBS: dict[str, CycleKind] = {"changes": "incremental", "review": "full"}
DELIVER = "deliver"
TAKEOVER = "takeover"


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
        self._failures: dict[str, int] = {}
        # Each digest sink's windows (``digest:<sink>``): the sink's drain closes a window
        # that has come, so a job at the window only starts one.
        self.digest_triggers = {
            digests.digest_job(name): app.windows.trigger(name) for name in app.windows.sinks()
        }

    def run_cycle(
        self, job: str, slot: datetime | None = None, trigger: str = "schedule"
    ) -> Retry | None:
        """Run one slot's cycle; when it failed, when to run that slot again."""
        if self.stop.is_set():
            return None
        with self.in_flight.track():
            slot = slot or latest_slot(self.triggers[job], self.app.clock.now())
            if slot is None:
                return None
            bound = log.bind(job=job, slot=slot_key(job, slot), trigger=trigger)
            if not self._take_cycle_lock(job, bound):
                return None
            try:
                return self._guarded(bound, lambda: self._claim_and_run(job, slot, trigger, bound))
            finally:
                self._cycle_lock.release()

    def deliver(self) -> None:
        """Start a delivery round; returns at once, never waiting for a sink.

        The round, and each sink it drains, runs on a thread of its own (counted in flight, so
        shutdown waits for them): a receiver that stalls holds up its own queue until its
        deadlines run out, never another sink, the next round or a cycle.
        """
        self._spawn(DELIVER, self._round)

    def digest(self, sink: str) -> None:
        """A sink's digest window has come: drain the sink now rather than at the next round
        (if a round is draining it, that round closes the window)."""
        self._save(digests.digest_job(sink), last_started_at=self.app.clock.now())
        self._spawn(f"{DELIVER}-{sink}", partial(self._deliver, sink, digests.digest_job(sink)))

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

    def _claim_and_run(self, job: str, slot: datetime, trigger: str, bound: Any) -> Retry | None:
        key = slot_key(job, slot)
        with self.app.sessions.begin() as session:
            owner = runstate.slot_owner(session, key)
        if owner is not None:
            bound.info("job_skipped", reason=f"slot already run by {owner}")
            return None
        self._save(job, last_slot=slot, last_started_at=self.app.clock.now(), last_status="running")
        bound.info("job_started")
        started = time.monotonic()
        status, report = self._review(job, key, trigger, bound)
        return self._after_cycle(job, slot, key, (status, report), started, bound)

    def take_over(self) -> Retry | None:
        """Finish a scheduled cycle whose replica stopped renewing its lease (PostgreSQL).

        Looked for at every heartbeat while this process runs no cycle of its own: the cycle
        is finished here within its lease plus one heartbeat of its owner's death.
        """
        if self.stop.is_set() or not self._cycle_lock.acquire(blocking=False):
            return None
        try:
            with self.in_flight.track():
                return self._guarded(log.bind(job=TAKEOVER), self._claim_and_resume)
        finally:
            self._cycle_lock.release()

    def _claim_and_resume(self) -> Retry | None:
        ttl = timedelta(seconds=self.app.settings.schedule.cycle_lease_seconds)
        with self.app.sessions.begin() as session:
            taken = cycles.take_over(session, self.app.owner, ttl, alive=runstate.owner_alive)
        if taken is None or taken.slot_key is None:
            return None
        job, _, moment = taken.slot_key.partition(":")
        slot = datetime.fromisoformat(moment.split(runstate.RERUN_SUFFIX)[0])
        bound = log.bind(job=job, slot=taken.slot_key, trigger=TAKEOVER)
        started = time.monotonic()
        outcome = self._resume(taken, bound)
        return self._after_cycle(job, slot, taken.slot_key, outcome, started, bound)

    def _resume(self, taken: TakenCycle, bound: Any) -> tuple[str, CycleReport | None]:
        return self._outcome(taken.slot_key or "", bound, lambda review: review.resume(taken))

    def _after_cycle(
        self,
        job: str,
        slot: datetime,
        key: str,
        outcome: tuple[str, CycleReport | None],
        started: float,
        bound: Any,
    ) -> Retry | None:
        status, report = outcome
        if status in ("skipped", "lost"):
            # Lost: the replica that took the cycle over records how it ends.
            return None
        self.metrics.cycle_finished(
            report.kind if report else CYCLE_JOBS[job], status, time.monotonic() - started, report
        )
        self._save(job, last_finished_at=self.app.clock.now(), last_status=status)
        retry = self._retry_if_failed(job, slot, key, status, bound)
        if report is not None and not self.stop.is_set():
            if report.events or report.events_total:
                # Same-day alerts: do not wait for the next dispatcher tick. A cycle taken
                # over also delivers what its first owner wrote and could not send.
                self.deliver()
            pruned = self.app.prune()  # fetch-log retention, as `check` does
            if pruned:
                bound.info("fetch_log_pruned", rows=pruned)
        return retry

    def _retry_if_failed(
        self, job: str, slot: datetime, key: str, status: str, bound: Any
    ) -> Retry | None:
        if status != "failed":
            self._failures.pop(job, None)
            return None
        failures = self._failures[job] = self._failures.get(job, 0) + 1
        self._free_slot(key)
        if self.stop.is_set():
            return None
        delay = retry_delay(failures)
        bound.warning("job_retry_scheduled", failures=failures, retry_in_s=delay.total_seconds())
        return Retry(job, slot, delay)

    def _review(
        self, job: str, key: str, trigger: str, bound: Any
    ) -> tuple[str, CycleReport | None]:
        kind = CYCLE_JOBS[job]
        return self._outcome(
            key, bound, lambda review: review.run(kind, trigger=trigger, slot_key=key)
        )

    def _outcome(
        self, key: str, bound: Any, work: Callable[[ReviewService], CycleReport]
    ) -> tuple[str, CycleReport | None]:
        """How one slot's cycle ended: its status, and its report when it completed."""
        every = self.app.settings.logging.progress_seconds
        review = self.app.review(stop=self.stop, progress=LoggedProgress(every, self.metrics))
        try:
            return "completed", work(review)
        except CycleAbandoned:
            self._free_slot(key)
            return "abandoned", None
        except CycleLostError:
            return "lost", None  # logged by the review; the new owner records the end
        except SlotTakenError:
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

    def _free_slot(self, key: str) -> None:
        with self.app.sessions.begin() as session:
            cycle_id = runstate.cycle_id_for_slot(session, key)
            runstate.free_slots(session, [cycle_id] if cycle_id else [])

    def _deliver(self, sink: str, job: str = DELIVER) -> None:
        started = self.app.clock.now()
        status = "completed"
        try:
            self.dispatcher.drain(sink)
        except Exception as exc:
            log.error("job_failed", job=job, sink=sink, error=str(exc)[:500])
            status = "failed"
        self._save(
            job,
            last_started_at=started,
            last_finished_at=self.app.clock.now(),
            last_status=status,
        )

    def _save(self, job: str, **values: Any) -> None:
        trigger = self.triggers.get(job) or self.digest_triggers.get(job)
        if trigger is not None:
            values["next_run_at"] = next_slot(trigger, self.app.clock.now())
        with self.app.sessions.begin() as session:
            runstate.save_job(session, job, **values)

    def _guarded(self, bound: Any, work: Callable[[], T]) -> T | None:
        # A job that raises would only reach APScheduler's log; the worker must go on.
        try:
            return work()
        except Exception:
            bound.exception("job_crashed")
            return None
