"""The alert dispatcher (SPEC §6): sends due deliveries, every sink on its own.

Each sink drains its own queue on its own thread, claiming a batch at a time, so a slow or
failing sink never delays another; one thread at most drains a sink, so a receiver that
stalls never piles threads up either. Outcomes are recorded per delivery: ``sent``;
``failed`` with a backed-off ``next_attempt_at`` (never sooner than the receiver's
Retry-After); ``dead`` once the error is permanent or the retry horizon has passed. A 410
Gone disables the sink in the database, for every process (``disabled_sinks``).

After its own deliveries, a sink's drain closes its digest window when one has come and
sends its due digests (``digests``), on the same thread: one thread per sink, whatever it
sends.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.redaction import Redactor
from monitor.services import disabled_sinks
from monitor.services.digest_windows import DigestWindows
from monitor.services.digests import DigestSender, SinkDigests
from monitor.services.ports import Clock
from monitor.services.retry import RetryPolicy
from monitor.sinks.base import Alert, SendOutcome, Sink
from monitor.store import digests, outbox

log = structlog.get_logger(__name__)


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
        redact: Redactor | None = None,
        windows: DigestWindows | None = None,
    ) -> None:
        self.sessions = sessions
        self.redact = redact or Redactor()
        self.sinks = dict(sinks)
        self.clock = clock
        self.policy = policy
        self.owner = owner
        self.on_outcome = on_outcome
        self.windows = windows or DigestWindows([], "UTC")
        self.digests = DigestSender(
            sessions=sessions,
            sinks=self.sinks,
            windows=self.windows,
            clock=clock,
            policy=policy,
            owner=owner,
            redact=self.redact,
            on_outcome=on_outcome,
        )
        self._draining = {name: threading.Lock() for name in self.sinks}

    def deliver_due(self) -> DispatchReport:
        """Send everything due now; returns when every sink's queue holds nothing due."""
        report = DispatchReport()
        self.retire_unknown_sinks()
        if self.sinks:
            with ThreadPoolExecutor(len(self.sinks), thread_name_prefix="sink") as pool:
                for results in pool.map(self.drain, list(self.sinks)):
                    for status in results:
                        report.add(*status)
        if report.sent or report.failed or report.dead:
            log.info("dispatch_completed", sent=report.sent, failed=report.failed, dead=report.dead)
        return report

    def retire_unknown_sinks(self) -> None:
        """Deliveries (held ones too) and digests of sinks no longer configured are dead with
        the reason; what sinks that no longer have a digest hold goes at once."""
        now, known = self.clock.now(), list(self.sinks)
        plain = [name for name in known if not self.windows.has_digest(name)]
        with self.sessions.begin() as session:
            retired = outbox.retire_unknown_sinks(session, known, now)
            digests.retire_unknown(session, known, now, outbox.NOT_CONFIGURED)
            released = digests.release_held(session, plain, now)
        if retired:
            log.error("deliveries_for_unknown_sinks", dead=retired)
        if released:
            log.warning("held_deliveries_released", deliveries=released, reason="no digest")

    def is_draining(self, name: str) -> bool:
        return self._draining[name].locked()

    def drain(self, name: str) -> list[tuple[str, str]]:
        """Send one sink's due deliveries until none is left; (sink, status) per delivery.

        A sink another thread is draining already is left to that thread: nothing is sent.
        """
        if not self._draining[name].acquire(blocking=False):
            return []
        try:
            return self._drain(name)
        finally:
            self._draining[name].release()

    def _drain(self, name: str) -> list[tuple[str, str]]:
        results: list[tuple[str, str]] = []
        lease = self.policy.lease(self.sinks[name].config.deadline_seconds)
        while True:
            with self.sessions.begin() as session:
                # Read before every batch, so a 410 met by another process stops this one too.
                retired = disabled_sinks.retire_if_disabled(session, name, self.clock.now())
                if retired is not None:
                    return results + self._retired(name, retired)
                claimed = outbox.claim_due(
                    session,
                    owner=self.owner,
                    now=self.clock.now(),
                    lease=lease,
                    sinks=[name],
                    limit=self.policy.batch_size,
                )
            if not claimed:
                return results + self._digests(name)
            results += self._send_batch(name, claimed)

    def send_digests(self, name: str) -> SinkDigests:
        """Close the sink's window now and send everything it has waiting (``digest send``);
        a round draining the sink in this process is waited for."""
        with self._draining[name]:
            self.retire_unknown_sinks()
            with self.sessions.begin() as session:
                retired = disabled_sinks.retire_if_disabled(session, name, self.clock.now())
            if retired is not None:
                self._retired(name, retired)
                return SinkDigests(name, [], disabled=True, dead=retired)
            self.digests.close_now(name)
            return SinkDigests(name, self.digests.send_due(name, everything=True))

    def _digests(self, name: str) -> list[tuple[str, str]]:
        """Close the sink's window if it has come, then send its due digests."""
        self.digests.close_due(name)
        sent = self.digests.send_due(name)
        return [(name, result.status) for result in sent for _ in range(result.events)]

    def _retired(self, name: str, dead: int) -> list[tuple[str, str]]:
        """Due deliveries of a disabled sink, marked dead unsent (``sinks enable`` revives them)."""
        if dead:
            log.error("deliveries_for_disabled_sink", sink=name, dead=dead)
        if self.on_outcome is not None:
            for _ in range(dead):
                self.on_outcome(name, "dead")
        return [(name, "dead")] * dead

    def _send_batch(self, name: str, items: list[outbox.Claimed]) -> list[tuple[str, str]]:
        started = time.monotonic()
        outcomes = self._send(name, items)
        duration_ms = (time.monotonic() - started) * 1000 / max(1, len(items))
        return self._record(name, items, outcomes, duration_ms)

    def _send(self, name: str, items: list[outbox.Claimed]) -> dict[int, SendOutcome]:
        alerts = [Alert(c.delivery_id, c.event, attempt=c.attempts + 1) for c in items]
        try:
            return {o.delivery_id: o for o in self.sinks[name].send(alerts)}
        except Exception as exc:  # a sink must not raise; if one does, nothing is lost
            log.exception("sink_crashed", sink=name)
            return {
                a.delivery_id: SendOutcome(a.delivery_id, ok=False, error=repr(exc)) for a in alerts
            }

    def _record(
        self,
        name: str,
        items: list[outbox.Claimed],
        outcomes: dict[int, SendOutcome],
        duration_ms: float,
    ) -> list[tuple[str, str]]:
        now = self.clock.now()
        jitter = random.uniform(0.5, 1.0)  # full jitter spreads retries of many batches
        gone = [o for o in outcomes.values() if o.disable_sink and not o.ok]
        reason = (self.redact(gone[0].error) or "410 Gone") if gone else None
        with self.sessions.begin() as session:
            if reason is not None:
                # First, before any delivery row is locked: a replica that met the same 410
                # waits on this row instead of deadlocking with this transaction.
                disabled_sinks.disable(session, name, now, reason)
            results = [
                (name, self._record_one(session, name, item, outcomes, now, jitter, duration_ms))
                for item in items
            ]
            if reason is not None:
                # In the outcome's transaction: the state and the dead deliveries agree.
                killed = disabled_sinks.retire_due(session, name, now)
                log.error("sink_disabled", sink=name, reason=reason, other_deliveries_dead=killed)
        return results

    def _record_one(
        self,
        session: Session,
        name: str,
        item: outbox.Claimed,
        outcomes: dict[int, SendOutcome],
        now: datetime,
        jitter: float,
        duration_ms: float,
    ) -> str:
        """Store one delivery's outcome; its status."""
        outcome = outcomes.get(item.delivery_id) or SendOutcome(
            item.delivery_id, ok=False, error="sink returned no outcome"
        )
        outcome, (status, next_at) = self._judge(name, item, outcome, now, jitter)
        outbox.record(
            session,
            item,
            owner=self.owner,
            status=status,
            now=now,
            next_attempt_at=next_at,
            error=self._error(outcome, status),
            duration_ms=duration_ms,
        )
        self._log(name, item, outcome, status)
        return status

    def _error(self, outcome: SendOutcome, status: str) -> str | None:
        if outcome.ok:
            return None
        error = self.redact(outcome.error)  # a receiver may echo a header value in its body
        return disabled_sinks.recorded_error(error, gone=outcome.disable_sink and status == "dead")

    def _judge(
        self, name: str, item: outbox.Claimed, outcome: SendOutcome, now: datetime, jitter: float
    ) -> tuple[SendOutcome, tuple[str, datetime | None]]:
        """The outcome as recorded, with its status; whatever a sink hands back is recorded."""
        try:
            return outcome, self._status(item, outcome, now, jitter)
        except Exception as exc:  # left unrecorded, the delivery would stay claimed and resent
            log.exception("sink_outcome_unusable", sink=name, delivery_id=item.delivery_id)
            error = f"{outcome.error or 'failed'} (unusable outcome: {type(exc).__name__})"
            outcome = SendOutcome(item.delivery_id, ok=False, error=error)
            return outcome, self._status(item, outcome, now, jitter)

    def _status(
        self, item: outbox.Claimed, outcome: SendOutcome, now: datetime, jitter: float
    ) -> tuple[str, datetime | None]:
        return self.policy.verdict(
            outcome, attempts=item.attempts, created_at=item.created_at, now=now, jitter=jitter
        )

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
