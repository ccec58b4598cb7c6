"""The deployment's request rate, shared through PostgreSQL: one bucket per source.

Every process (``run`` replicas, ``check``) reserves its requests' slots in one row of
``rate_buckets``, so the configured ``requests_per_second`` is the total CQC sees, however
many processes fetch. The algorithm is the process-local limiter's (the generic cell rate
algorithm, ``monitor.sources.ratelimit``) run in database time: one atomic statement
reserves the next free slot and answers how long to wait for it; the wait happens after the
statement, outside any transaction, so a waiting thread holds no lock and no connection.

A database that cannot answer never fails a fetch: that request is paced by this process's
own limiter instead, and a warning says so (once a minute at most).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import structlog
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import short_error

log = structlog.get_logger(__name__)

# Each process's bucket connections, in a pool of their own: up to 64 fetch threads queue
# here, never for the connections the batch writer and the dispatcher use. Every reservation
# in the deployment updates the same row, so more connections do not make more reservations:
# on the 2-core benchmark machine one and two sustained the same, four fewer. Two, so that one
# stalled connection does not stall the fetches.
POOL_SIZE = 2
WARN_EVERY_SECONDS = 60.0

# clock_timestamp(), not now(): now() is the transaction's start, which comes before the
# wait for the row lock while another process holds it. The stored value is the next slot
# minus the burst's tolerance, so that GREATEST(..., now - tolerance) caps what an idle
# bucket banks at the burst.
_RESERVE = text(
    """
    INSERT INTO rate_buckets AS b (name, next_slot_at)
    VALUES (:name, clock_timestamp() - :tolerance + :interval)
    ON CONFLICT (name) DO UPDATE
    SET next_slot_at = GREATEST(b.next_slot_at, clock_timestamp() - :tolerance) + :interval
    RETURNING EXTRACT(EPOCH FROM b.next_slot_at - :interval - clock_timestamp())::float8
    """
)


class RateBuckets:
    """The shared buckets of one process: a small engine of their own, and a limiter per source.

    Its connections commit each reservation on its own (autocommit: no BEGIN and COMMIT
    round trips) and without waiting for the disk (``synchronous_commit=off``): a reservation
    lost in a database crash only lets one request through early, while waiting for the flush
    made every reservation half as long again on the benchmark machine, more on slow disks.
    A statement that takes longer than ``statement_timeout`` falls back like an error.
    """

    def __init__(
        self, url: URL | str, *, pool_size: int = POOL_SIZE, statement_timeout: float = 5.0
    ) -> None:
        url = make_url(url)
        self.engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=10.0,
            # No pre-ping: it would double every reservation's round trips. A dead connection
            # fails one reservation (which falls back) and is replaced.
            connect_args={
                "options": _options(url, statement_timeout),
                "connect_timeout": 5,
                "application_name": "cqc-monitor rate bucket",
            },
        )

    def limiter(
        self,
        name: str,
        rate_per_second: float,
        *,
        fallback: Callable[[], None],
        burst: int = 1,
    ) -> SharedRateLimiter:
        return SharedRateLimiter(self.engine, name, rate_per_second, fallback=fallback, burst=burst)

    def close(self) -> None:
        self.engine.dispose()


def _options(url: URL, statement_timeout: float) -> str:
    # The URL's own options (a search_path, say) come first: connect_args replaces them.
    given = url.query.get("options", "")
    ours = f"-c synchronous_commit=off -c statement_timeout={round(statement_timeout * 1000)}"
    return " ".join((*([given] if isinstance(given, str) else given), ours)).strip()


class SharedRateLimiter:
    """At most ``burst`` requests at once, then ``rate_per_second`` on average, across every
    process using the bucket ``name``. A rate of zero or less is unlimited (no round trip).

    Each reservation is charged at this process's rate: processes configured with different
    rates share the bucket unevenly, so configure them alike.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        rate_per_second: float,
        *,
        fallback: Callable[[], None],
        burst: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.name = name
        self._engine = engine
        self._unlimited = rate_per_second <= 0
        interval = timedelta(0) if self._unlimited else timedelta(seconds=1.0 / rate_per_second)
        self._params = {"name": name, "interval": interval, "tolerance": (burst - 1) * interval}
        self._fallback = fallback
        self._sleep = sleep
        self._outage = _Outage(name, clock)

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        if self._unlimited:
            return
        try:
            wait = self.reserve()
        except SQLAlchemyError as exc:
            self._outage.fell_back(exc)
            self._fallback()
            return
        self._outage.ended()
        if wait > 0:
            self._sleep(wait)

    def reserve(self) -> float:
        """Take the next free slot; the seconds until it comes (zero or less: now)."""
        with self._engine.connect() as connection:
            return float(connection.execute(_RESERVE, self._params).scalar_one())


class _Outage:
    """Requests paced locally while the bucket cannot be reached, said at most once a minute."""

    def __init__(self, name: str, clock: Callable[[], float]) -> None:
        self._name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._since_warning = 0  # fallbacks not yet reported
        self._total = 0  # fallbacks since the outage began
        self._warned_at: float | None = None

    def fell_back(self, exc: BaseException) -> None:
        with self._lock:
            self._since_warning += 1
            self._total += 1
            now = self._clock()
            if self._warned_at is not None and now - self._warned_at < WARN_EVERY_SECONDS:
                return
            self._warned_at, count, self._since_warning = now, self._since_warning, 0
        log.warning(
            "rate_bucket_unavailable",
            bucket=self._name,
            error=short_error(exc),
            requests_paced_locally=count,
            consequence="this process paces its own requests; the deployment may exceed the rate",
        )

    def ended(self) -> None:
        if not self._total:  # the usual case: no lock taken
            return
        with self._lock:
            total, self._total, self._since_warning, self._warned_at = self._total, 0, 0, None
        if total:
            log.info("rate_bucket_restored", bucket=self._name, requests_paced_locally=total)
