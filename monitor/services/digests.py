"""Digests (SPEC §6): close a sink's window, send the digest as one message, record it.

Whoever delivers after a window has come closes it: a delivery round of ``run`` (its
scheduled job fires at the window), ``deliver``, ``check``. Closing takes the window's slot
(unique, one per sink and window), so of the replicas that reach it one sends it; after
downtime the first round closes the latest window missed and one digest carries everything
held since, not one per window. ``digest send`` closes a window at once.

A digest is sent, retried (backoff, ``Retry-After``, the horizon) and given up as a whole,
with the same id each time, so a receiver drops the resend a crash between send and record
causes. A 410 disables the sink as it does for any delivery.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.digest import in_digest_order
from monitor.errors import SlotTakenError
from monitor.redaction import Redactor
from monitor.services import disabled_sinks
from monitor.services.digest_windows import DigestWindows
from monitor.services.ports import Clock
from monitor.services.retry import RetryPolicy
from monitor.sinks.base import Digest, SendOutcome, Sink
from monitor.store import digests
from monitor.store.digests import ClaimedDigest, Closed

log = structlog.get_logger(__name__)

OutcomeListener = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class SinkDigests:
    """What ``digest send`` did for one sink: the digests it tried, or that the sink is
    disabled (``dead``: its held deliveries, dead at once)."""

    sink: str
    results: list[DigestResult]
    disabled: bool = False
    dead: int = 0


@dataclass(frozen=True, slots=True)
class DigestResult:
    """How one digest's attempt ended."""

    sink: str
    key: str
    events: int
    status: str  # sent | failed | dead
    error: str | None = None
    next_attempt_at: datetime | None = None


class DigestSender:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sinks: Mapping[str, Sink],
        windows: DigestWindows,
        clock: Clock,
        policy: RetryPolicy,
        owner: str,
        redact: Redactor,
        on_outcome: OutcomeListener | None = None,
    ) -> None:
        self.sessions = sessions
        self.sinks = sinks
        self.windows = windows
        self.clock = clock
        self.policy = policy
        self.owner = owner
        self.redact = redact
        self.on_outcome = on_outcome

    # -- closing windows ---------------------------------------------------------------------

    def close_due(self, name: str) -> Closed | None:
        """Close the sink's window when a held delivery's has come; the digest, or None.

        It ends at the latest window by now and starts at the window before the earliest one
        its deliveries waited for: after downtime, one digest covers every window missed."""
        if not self.windows.has_digest(name):
            return None
        now = self.clock.now()
        with self.sessions.begin() as session:
            earliest = digests.earliest_held(session, name, due_by=now)
        if earliest is None:
            return None
        window = self.windows.latest_window(name, now) or now
        since = self.windows.window_before(name, earliest)
        try:
            with self.sessions.begin() as session:
                closed = digests.close(
                    session, name, window, now, trigger="window", due_by=now, since=since
                )
        except SlotTakenError:
            self._wait_for_next(name, now)
            return None
        return self._closed(closed)

    def _wait_for_next(self, name: str, now: datetime) -> None:
        """The window was closed by another process (or earlier by this one): what it could
        not see yet (written as it closed) waits for the next window."""
        following = self.windows.next_window(name, now)
        if following is None:
            return
        with self.sessions.begin() as session:
            moved = digests.restamp(session, name, following, due_by=now)
        log.info("digest_skipped", sink=name, reason="window closed already", moved=moved)

    def close_now(self, name: str) -> Closed | None:
        """Close a window now with everything the sink holds (``digest send``); it starts at
        the window before the earliest one they wait for."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            earliest = digests.earliest_held(session, name)
        if earliest is None:
            return None
        since = self.windows.window_before(name, earliest)
        try:
            with self.sessions.begin() as session:
                closed = digests.close(
                    session, name, now, now, trigger="command", due_by=None, since=since
                )
        except SlotTakenError:  # another ``digest send`` at the same microsecond
            return None
        return self._closed(closed)

    def _closed(self, closed: Closed | None) -> Closed | None:
        if closed is not None:
            log.info(
                "digest_closed",
                sink=closed.sink,
                digest=closed.key,
                events=closed.events,
                window_start=closed.window_start.isoformat(),
                window_end=closed.window_end.isoformat(),
            )
        return closed

    def restamp(self, now: datetime) -> None:
        """Held deliveries wait for each sink's next window as configured now (``run`` at
        start: a schedule may have moved since they were held). Those whose window has
        passed stay due: the first round sends them as one digest."""
        for name in self.windows.sinks():
            following = self.windows.next_window(name, now)
            if following is not None:
                with self.sessions.begin() as session:
                    digests.restamp(session, name, following)

    # -- sending -----------------------------------------------------------------------------

    def send_due(self, name: str, *, everything: bool = False) -> list[DigestResult]:
        """Send the sink's due digests (``everything``: all not sent yet, even those waiting
        for a retry), one at a time; each is tried once."""
        if name not in self.sinks:
            return []
        lease = self.policy.lease(self.sinks[name].config.deadline_seconds)
        results: list[DigestResult] = []
        while True:
            with self.sessions.begin() as session:
                claimed = digests.claim_due(
                    session,
                    name,
                    owner=self.owner,
                    now=self.clock.now(),
                    lease=lease,
                    everything=everything,
                    limit=100 if everything else 1,
                )
            results += [self._send(name, item) for item in claimed]
            # A digest that fails waits for its retry: only ``everything`` would claim it again.
            if not claimed or everything:
                return results

    def _send(self, name: str, item: ClaimedDigest) -> DigestResult:
        digest = Digest(
            digest_id=item.digest_id,
            key=item.key,
            window_start=item.window_start,
            window_end=item.window_end,
            events=tuple(in_digest_order(item.events)),
            timezone=self.windows.timezone,
            attempt=item.attempts + 1,
        )
        started = time.monotonic()
        try:
            outcome = self.sinks[name].send_digest(digest)
        except Exception as exc:  # a sink must not raise; if one does, nothing is lost
            log.exception("sink_crashed", sink=name, digest=item.key)
            outcome = SendOutcome(item.digest_id, ok=False, error=repr(exc))
        duration_ms = (time.monotonic() - started) * 1000 / max(1, len(item.events))
        return self._record(name, item, outcome, duration_ms)

    def _record(
        self, name: str, item: ClaimedDigest, outcome: SendOutcome, duration_ms: float
    ) -> DigestResult:
        now = self.clock.now()
        status, next_at = self.policy.verdict(
            outcome,
            attempts=item.attempts,
            created_at=item.created_at,
            now=now,
            jitter=random.uniform(0.5, 1.0),
        )
        # A receiver may echo a header value in its body: masked before it is stored.
        answer = None if outcome.ok else (self.redact(outcome.error) or "failed")
        gone = outcome.disable_sink and not outcome.ok
        error = disabled_sinks.recorded_error(answer, gone=gone)
        with self.sessions.begin() as session:
            if gone:  # first, before any delivery row is locked (as the dispatcher does)
                disabled_sinks.disable(session, name, now, answer or "410 Gone")
            recorded = digests.record(
                session,
                item,
                owner=self.owner,
                status=status,
                now=now,
                next_attempt_at=next_at,
                error=error,
                duration_ms=duration_ms,
            )
            if gone:
                disabled_sinks.retire_due(session, name, now)
        if recorded:
            self._log(name, item, status, error, next_at)
        return DigestResult(name, item.key, len(item.events), status, error, next_at)

    def _log(
        self,
        name: str,
        item: ClaimedDigest,
        status: str,
        error: str | None,
        next_at: datetime | None,
    ) -> None:
        if self.on_outcome is not None:
            for _ in item.events:  # each delivery it carries, as a batch of alerts counts
                self.on_outcome(name, status)
        fields = {"sink": name, "digest": item.key, "events": len(item.events)}
        fields["attempt"] = item.attempts + 1
        if status == "sent":
            log.info("digest_sent", **fields)
        elif status == "dead":
            log.error("digest_dead", error=error, **fields)
        else:
            retry_at = next_at.isoformat() if next_at else None
            log.warning("digest_failed", error=error, retry_at=retry_at, **fields)
