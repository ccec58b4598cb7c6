"""When a failed send is tried again, and when it is given up (SPEC §6): one policy for a
delivery and a digest alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.net.retry_after import clamp_seconds
from monitor.sinks.base import SendOutcome


@dataclass(frozen=True)
class RetryPolicy:
    horizon: timedelta = timedelta(hours=24)
    initial_backoff: float = 30.0  # seconds
    max_backoff: float = 3600.0
    batch_size: int = 100
    min_lease: timedelta = timedelta(minutes=5)

    def next_attempt(
        self, now: datetime, attempts: int, retry_after: float | None, jitter: float
    ) -> datetime:
        """``jitter`` in [0.5, 1]: drawn once per batch, so a batch retries together (and an
        email batch is rebuilt with the same events and Message-ID)."""
        backoff = min(self.max_backoff, self.initial_backoff * 2 ** max(0, attempts - 1))
        delay = backoff * jitter
        if retry_after is not None:
            # Bounded before the date arithmetic: a receiver may ask for a wait of centuries.
            delay = max(delay, clamp_seconds(retry_after, self.horizon.total_seconds()))
        return now + timedelta(seconds=delay)

    def lease(self, deadline_seconds: float) -> timedelta:
        """Long enough for a whole batch of sends to run out their deadlines one by one."""
        worst = timedelta(seconds=deadline_seconds * self.batch_size + 60)
        return max(self.min_lease, worst)

    def verdict(
        self,
        outcome: SendOutcome,
        *,
        attempts: int,
        created_at: datetime,
        now: datetime,
        jitter: float,
    ) -> tuple[str, datetime | None]:
        """The status an attempt leaves (``sent``, ``failed`` with its next attempt, ``dead``);
        ``attempts``: those made before this one, ``created_at``: when the horizon began."""
        if outcome.ok:
            return "sent", None
        if outcome.permanent:
            return "dead", None
        next_at = self.next_attempt(now, attempts + 1, outcome.retry_after, jitter)
        give_up_at = created_at + self.horizon
        if next_at <= give_up_at:
            return "failed", next_at
        if now < give_up_at:
            # A wait that overshoots the horizon (long backoff, a receiver's Retry-After) still
            # leaves one last try at the horizon itself, rather than giving up early.
            return "failed", give_up_at
        return "dead", None
