"""The ``run`` process (SPEC §1, §8): lifecycle, signals, the single-worker lock, shutdown.

The main thread owns SIGTERM/SIGINT and only waits; APScheduler runs the jobs on its own
threads. On a signal: no new job starts, the cycle in hand stops after its current batch
(every batch is one transaction, so nothing is half-written), running jobs get the grace
budget to end, a last delivery pass runs if time allows, and the process exits 0.

The worker stops by itself, exiting 1, when it can no longer trust its database: another
worker took its lease over, or the SQLite file it opened was deleted or replaced.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from monitor.bootstrap import App
from monitor.errors import MonitorError, StorageError
from monitor.runtime.health import DatabaseProbe, HealthServer, Heartbeat
from monitor.runtime.jobs import Jobs
from monitor.runtime.metrics import Metrics
from monitor.runtime.schedule import Schedule
from monitor.runtime.signals import StopSignals
from monitor.runtime.slots import cycle_triggers
from monitor.services.cycle_lease import renewal_interval
from monitor.settings.model import mask_url
from monitor.store import runstate
from monitor.store.engine import database_errors, database_file
from monitor.store.figures import Figures, read_figures

if TYPE_CHECKING:
    from monitor.web.serve import Dashboard

log = structlog.get_logger(__name__)

DEFAULT_GRACE_SECONDS = 30.0
LEASE_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class WorkerOptions:
    grace_seconds: float = DEFAULT_GRACE_SECONDS
    heartbeat_seconds: float = 5.0  # scheduler pulse and lease renewal
    migrate: bool = True  # False: refuse a database behind the migrations (``--no-migrate``)


class Worker:
    def __init__(self, app: App, options: WorkerOptions | None = None) -> None:
        self.app = app
        self.options = options or WorkerOptions()
        self.stop = threading.Event()
        self.exit_code = 0
        self.failure: str | None = None  # why the worker stopped by itself
        self.heartbeat = Heartbeat(stale_after=max(30.0, 6 * self.options.heartbeat_seconds))
        self.database = DatabaseProbe(app.engine)
        self.metrics = Metrics(self._figures, ready=self._ready, attempts=app.attempts)
        # SQLite: one worker per file. PostgreSQL: replicas share work through slot keys.
        self.single_worker = not app.replicated
        self.fence: int | None = None
        self.dashboard: Dashboard | None = None  # on the health port when [server] dashboard
        self._cut_short = threading.Event()
        # A second signal ends the grace period now.
        self._signals = StopSignals(self.stop, on_second=lambda _number: self._cut_short.set())

    def request_stop(self) -> None:
        self.stop.set()

    def run(self) -> int:
        """Serve until stopped; the exit status (0, or 1 when the worker stopped by itself)."""
        try:
            with self._signals:
                self.app.prepare_database(upgrade=self.options.migrate)
                self._take_lease()
                self._recover_orphans()
                self.app.review().register_configured()
                jobs = Jobs(
                    self.app,
                    cycle_triggers(self.app.settings.schedule),
                    self.metrics,
                    self.stop,
                )
                self._serve(jobs)
        finally:
            self._release_lease()
            self.app.close()
        return self.exit_code

    # -- lifecycle ----------------------------------------------------------------------------

    def _serve(self, jobs: Jobs) -> None:
        lease = timedelta(seconds=self.app.settings.schedule.cycle_lease_seconds)
        schedule = Schedule(
            jobs,
            timezone=self.app.settings.schedule.timezone,
            deliver_every=self.app.settings.schedule.deliver_every_seconds,
            heartbeat=self._pulse,
            # At least as often as cycle leases are renewed: a replica that died is taken
            # over within its lease plus one heartbeat.
            heartbeat_every=min(self.options.heartbeat_seconds, renewal_interval(lease)),
        )
        health = self._start_health()
        try:
            schedule.catch_up()
            schedule.start()
            log.info(
                "worker_started",
                owner=self.app.owner,
                database=mask_url(self.app.settings.database.url),
                single_worker=self.single_worker,
                grace_seconds=self.options.grace_seconds,
                locations=self.app.location_states(),
                next_runs=self._next_runs(),
            )
            while not self.stop.wait(1.0):
                pass
            self._log_signal()
            self._shutdown(schedule, jobs)
        finally:
            self.stop.set()  # also on a failed start: jobs already submitted must end
            schedule.shutdown()
            health.stop()
            if self.dashboard is not None:
                self.dashboard.close()

    def _shutdown(self, schedule: Schedule, jobs: Jobs) -> None:
        deadline = time.monotonic() + self.options.grace_seconds
        schedule.shutdown()
        finished = self._wait(jobs.in_flight.wait_idle, deadline)
        if finished and self.failure is None:  # a failed worker's database is not to be trusted
            jobs.deliver()  # a last round; its threads count as work in flight
            finished = self._wait(jobs.in_flight.wait_idle, deadline)
        if not finished:
            self._give_up()
        log.info("worker_stopped", exit_code=self.exit_code)

    def _wait(self, done: Callable[[float], bool], deadline: float) -> bool:
        """Wait for ``done`` until the deadline, keeping the lease alive meanwhile."""
        while not self._cut_short.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if done(min(1.0, remaining)):
                return True
            self._renew_lease()
        return False

    def _give_up(self) -> None:
        """Grace is over with work still running: close our cycles and leave at once.

        Batches are transactions, so the database is consistent; the cycle row is marked
        abandoned and its slot freed, so the next start runs it again.
        """
        log.warning("grace_expired", grace_seconds=self.options.grace_seconds)
        try:
            with self.app.sessions.begin() as session:
                mine = [
                    i for i, owner, _ in runstate.running_cycles(session) if owner == self.app.owner
                ]
                runstate.abandon_cycles(
                    session, mine, self.app.clock.now(), "worker stopped: grace period over"
                )
            self._release_lease()
        finally:
            log.info("worker_stopped", exit_code=self.exit_code, forced=True)
            logging.shutdown()
            sys.stdout.flush()
            # Job threads cannot be interrupted and would keep the interpreter alive.
            os._exit(self.exit_code)

    def _recover_orphans(self) -> None:
        """Cycles left ``running`` by a worker that died are closed so their slots run again.

        Replicas (PostgreSQL) close only unscheduled ones (a ``check`` that was killed): a
        scheduled cycle is taken over and finished by the first replica that looks for one.
        """
        with self.app.sessions.begin() as session:
            orphans = [
                cycle_id
                for cycle_id, owner, slot in runstate.running_cycles(session)
                if self.single_worker
                or (
                    slot is None
                    and (owner == self.app.owner or not runstate.owner_alive(owner or ""))
                )
            ]
            runstate.abandon_cycles(
                session, orphans, self.app.clock.now(), "worker stopped before the cycle finished"
            )
        if orphans:
            log.warning("cycles_abandoned", cycle_ids=orphans, reason="worker died")

    # -- health -------------------------------------------------------------------------------

    def _start_health(self) -> HealthServer:
        server = self.app.settings.server
        if server.dashboard:
            self.dashboard = self.app.open_dashboard()
        try:
            health = HealthServer(
                server.host,
                server.port,
                alive=self.heartbeat.probe,
                ready=self._ready,
                metrics=self.metrics.render,
                other=self.dashboard.handle if self.dashboard else None,
            ).start()
        except OSError as exc:
            raise MonitorError(
                f"cannot serve health checks on {server.host}:{server.port}: {exc.strerror}"
            ) from None
        log.info("health_listening", host=server.host, port=health.port, dashboard=server.dashboard)
        return health

    def _ready(self) -> tuple[bool, dict[str, Any]]:
        """/readyz, and ``cqc_monitor_ready``: a stopping worker takes no more traffic."""
        if self.stop.is_set():
            return False, {"status": "stopping"}
        return self.database.probe()

    def _pulse(self) -> None:
        self.heartbeat.beat()
        self._check_database_file()
        self._renew_lease()

    def _check_database_file(self) -> None:
        """Writes to a deleted SQLite file vanish at the next start: stop instead."""
        opened = database_file(self.app.engine)
        problem = opened.problem() if opened else None
        if problem and self.failure is None:
            log.error("database_file_lost", reason=problem, action="stopping; restart the worker")
            self._stop_failed(f"{problem}; the worker stopped")

    def _stop_failed(self, reason: str) -> None:
        self.failure = reason
        self.exit_code = 1
        self.stop.set()

    def _figures(self) -> Figures:
        with self.app.sessions() as session:
            return read_figures(session, sinks=self.app.sinks)

    def _next_runs(self) -> dict[str, str | None]:
        """When each schedule runs next, as ``catch_up`` recorded it: an operator reading the
        start-up line knows when to expect the first cycle."""
        with self.app.sessions() as session:
            jobs = runstate.load_jobs(session)
        return {
            job: record.next_run_at.isoformat() if record.next_run_at else None
            for job, record in sorted(jobs.items())
        }

    # -- the single-worker lease ----------------------------------------------------------------

    def _take_lease(self) -> None:
        if not self.single_worker:
            return
        with self.app.sessions.begin() as session:
            claim = runstate.acquire_lease(session, self.app.owner, self.app.clock.now(), LEASE_TTL)
        if not claim.acquired:
            raise MonitorError(
                f"another worker ({claim.holder}) is running on this database; "
                "SQLite allows one worker per database file"
            )
        self.fence = claim.fence
        log.info("lease_acquired", owner=self.app.owner, fence=claim.fence)

    def _renew_lease(self) -> None:
        if self.fence is None:
            return
        try:
            with database_errors(), self.app.sessions.begin() as session:
                kept = runstate.renew_lease(
                    session, self.app.owner, self.fence, self.app.clock.now(), LEASE_TTL
                )
        except StorageError as exc:
            log.warning("lease_renewal_failed", error=str(exc))
            return
        if not kept:
            log.error("lease_lost", owner=self.app.owner, reason="another worker took over")
            self.fence = None
            self._stop_failed("the worker lost its database lease to another worker; stopped")

    def _release_lease(self) -> None:
        if self.fence is None:
            return
        fence, self.fence = self.fence, None
        try:
            with database_errors(), self.app.sessions.begin() as session:
                runstate.release_lease(session, self.app.owner, fence)
        except StorageError as exc:  # it expires on its own
            log.warning("lease_release_failed", error=str(exc))

    # -- signals --------------------------------------------------------------------------------

    def _log_signal(self) -> None:
        if self._signals.first is not None:
            name = signal.Signals(self._signals.first).name
            log.info("worker_stopping", signal=name, grace_seconds=self.options.grace_seconds)
        else:
            log.info("worker_stopping", grace_seconds=self.options.grace_seconds)
