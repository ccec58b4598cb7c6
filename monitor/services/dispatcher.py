"""The alert dispatcher (SPEC §6): sends due deliveries, sink by sink, in parallel.

Each sink runs on its own thread with its own timeouts, so one slow or failing sink never
delays another. Outcomes are recorded per delivery: ``sent``; ``failed`` with a backed-off
``next_attempt_at`` (never sooner than the receiver's Retry-After); ``dead`` once the error
is permanent or the retry horizon has passed.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.services.ports import Clock
from monitor.sinks.base import Alert, SendOutcome, Sink
from monitor.store import outbox

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    horizon: timedelta = timedelta(hours=24)
    initial_backoff: float = 30.0  # seconds
    max_backoff: float = 3600.0
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=5)

    def next_attempt(self, now: datetime, attempts: int, retry_after: float | None) -> datetime:
        backoff = min(self.max_backoff, self.initial_backoff * 2 ** max(0, attempts - 1))
        # Full jitter spreads retries of many deliveries so a recovering receiver is not stampeded.
        delay = random.uniform(backoff / 2, backoff)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return now + timedelta(seconds=delay)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    by_sink: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, sink: str, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)
        self.by_sink[sink][status] = self.by_sink[sink].get(status, 0) + 1

    def summary(self) -> str:
        return f"alerts: {self.sent} sent, {self.failed} to retry, {self.dead} dead"


OutcomeListener = Callable[[str, str], None]


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sinks: Mapping[str, Sink],
        clock: Clock,
        policy: RetryPolicy,
        owner: str,
        on_outcome: OutcomeListener | None = None,
    ) -> None:
        self.sessions = sessions
        self.sinks = dict(sinks)
        self.clock = clock
        self.policy = policy
        self.owner = owner
        self.on_outcome = on_outcome

    def deliver_due(self) -> DispatchReport:
        """Send everything due now, in batches, until nothing due is left."""
        report = DispatchReport()
        while self.sinks:
            with self.sessions.begin() as session:
                claimed = outbox.claim_due(
                    session,
                    owner=self.owner,
                    now=self.clock.now(),
                    lease=self.policy.lease,
                    sinks=list(self.sinks),
                    limit=self.policy.batch_size,
                )
            if not claimed:
                break
            self._send_all(claimed, report)
        if report.sent or report.failed or report.dead:
            log.info("dispatch_completed", sent=report.sent, failed=report.failed, dead=report.dead)
        return report

    def _send_all(self, claimed: list[outbox.Claimed], report: DispatchReport) -> None:
        per_sink: dict[str, list[outbox.Claimed]] = defaultdict(list)
        for item in claimed:
            per_sink[item.sink].append(item)
        with ThreadPoolExecutor(len(per_sink), thread_name_prefix="sink") as pool:
            futures = [
                pool.submit(self._send_sink, name, items) for name, items in per_sink.items()
            ]
            for future in futures:
                for sink, status in future.result():
                    report.add(sink, status)

    def _send_sink(self, name: str, items: list[outbox.Claimed]) -> list[tuple[str, str]]:
        sink = self.sinks[name]
        alerts = [Alert(c.delivery_id, c.event, attempt=c.attempts + 1) for c in items]
        started = time.monotonic()
        try:
            outcomes = {o.delivery_id: o for o in sink.send(alerts)}
        except Exception as exc:  # a sink must not raise; if one does, nothing is lost
            log.exception("sink_crashed", sink=name)
            outcomes = {
                a.delivery_id: SendOutcome(a.delivery_id, ok=False, error=repr(exc)) for a in alerts
            }
        duration_ms = (time.monotonic() - started) * 1000 / max(1, len(items))
        return self._record(name, items, outcomes, duration_ms)

    def _record(
        self,
        name: str,
        items: list[outbox.Claimed],
        outcomes: dict[int, SendOutcome],
        duration_ms: float,
    ) -> list[tuple[str, str]]:
        now = self.clock.now()
        results = []
        with self.sessions.begin() as session:
            for item in items:
                outcome = outcomes.get(item.delivery_id) or SendOutcome(
                    item.delivery_id, ok=False, error="sink returned no outcome"
                )
                status, next_at = self._status(item, outcome, now)
                outbox.record(
                    session,
                    item,
                    owner=self.owner,
                    status=status,
                    now=now,
                    next_attempt_at=next_at,
                    error=None if outcome.ok else outcome.error,
                    duration_ms=duration_ms,
                )
                self._log(name, item, outcome, status)
                results.append((name, status))
            if any(o.disable_sink for o in outcomes.values()):
                reason = "receiver answered 410 Gone: endpoint removed, sink disabled"
                killed = outbox.kill_sink(session, name, now, reason)
                log.error("sink_disabled", sink=name, reason=reason, other_deliveries_dead=killed)
                self.sinks.pop(name, None)
        return results

    def _status(
        self, item: outbox.Claimed, outcome: SendOutcome, now: datetime
    ) -> tuple[str, datetime | None]:
        if outcome.ok:
            return "sent", None
        if outcome.permanent:
            return "dead", None
        next_at = self.policy.next_attempt(now, item.attempts + 1, outcome.retry_after)
        if next_at > item.created_at + self.policy.horizon:
            return "dead", None
        return "failed", next_at

    def _log(self, name: str, item: outbox.Claimed, outcome: SendOutcome, status: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(name, status)
        fields = {
            "sink": name,
            "delivery_id": item.delivery_id,
            "event_id": item.event.id,
            "attempt": item.attempts + 1,
        }
        if status == "sent":
            log.info("alert_sent", **fields)
        elif status == "dead":
            log.error("alert_dead", error=outcome.error, **fields)
        else:
            log.warning(
                "alert_failed", error=outcome.error, retry_after=outcome.retry_after, **fields
            )
