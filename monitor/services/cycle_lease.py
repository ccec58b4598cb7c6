"""Keeping a running cycle's lease alive while the cycle works.

The lease is renewed on a thread of its own, so a long batch or a slow source never lets it
lapse; when a renewal finds the lease taken over (this process was paused or cut off past
its expiry), the cycle learns it through ``lost`` and stops before its next write.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import TracebackType

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import short_error
from monitor.store import cycles
from monitor.store.cycles import CycleLease

log = structlog.get_logger(__name__)


def renewal_interval(ttl: timedelta) -> float:
    """How often a lease of ``ttl`` is renewed: four times per lease, so two missed renewals
    (a slow database, a busy host) still leave it held."""
    return max(0.5, ttl.total_seconds() / 4)


class LeaseKeeper:
    """Renews one cycle's lease every :func:`renewal_interval` until closed."""

    def __init__(self, sessions: sessionmaker[Session], lease: CycleLease, ttl: timedelta) -> None:
        self.sessions = sessions
        self.lease = lease
        self.ttl = ttl
        self.lost = threading.Event()  # another replica owns the cycle now
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_until_closed, name=f"lease-{lease.cycle_id}", daemon=True
        )

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closed.set()
        self._thread.join()

    def _renew_until_closed(self) -> None:
        every = renewal_interval(self.ttl)
        while not self._closed.wait(every):
            try:
                with self.sessions.begin() as session:
                    kept = cycles.renew(session, self.lease, self.ttl)
            except Exception as exc:
                # The next renewal may get through; if none does before expiry, another
                # replica takes over and the fenced writes of this one fail.
                log.warning(
                    "cycle_lease_renewal_failed",
                    cycle_id=self.lease.cycle_id,
                    error=short_error(exc),
                )
                continue
            if not kept:
                self.lost.set()
                return
