"""The request rate shared through PostgreSQL (``monitor.store.rate_buckets``).

Timing is asserted one way only: N requests at rate r cannot all have been granted sooner
than (N - burst) / r after the first was asked for. A slow machine only makes that span
longer; a limiter that let each process (or thread) spend the rate alone makes it shorter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from structlog.testing import capture_logs

from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.rate_buckets import RateBuckets, SharedRateLimiter
from monitor.store.tables import RateBucket
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.fakes import CountingLimiter
from tests.support.cli import clean_environment

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)"
    ),
]


@pytest.fixture
def empty_postgres() -> str:
    """A PostgreSQL database without the monitor's tables."""
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def postgres(empty_postgres: str) -> Iterator[Engine]:
    engine = make_engine(empty_postgres)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def buckets(postgres: Engine) -> Iterator[RateBuckets]:
    shared = RateBuckets(postgres.url)
    yield shared
    shared.close()


def never() -> None:
    raise AssertionError("the database paced every request: no fallback expected")


def bucket_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(RateBucket)) or 0


# --- the reservation, in database time ------------------------------------------------------

# One request every 100 seconds: the test's own pace cannot blur slots that far apart.
SLOW_RATE = 0.01


def test_the_burst_goes_at_once_then_slots_come_one_interval_apart(buckets: RateBuckets) -> None:
    limiter = buckets.limiter("api", SLOW_RATE, burst=3, fallback=never)

    waits = [limiter.reserve() for _ in range(5)]

    assert all(wait <= 0 for wait in waits[:3]), waits
    assert 90 < waits[3] <= 100 and 190 < waits[4] <= 200, waits


def test_an_idle_bucket_banks_the_burst_and_no_more(postgres: Engine, buckets: RateBuckets) -> None:
    limiter = buckets.limiter("api", SLOW_RATE, burst=2, fallback=never)
    assert limiter.reserve() <= 0
    # A day without requests: what is banked is the burst of two, not 864 requests.
    with postgres.begin() as connection:
        connection.execute(text("UPDATE rate_buckets SET next_slot_at = now() - interval '1 day'"))

    waits = [limiter.reserve() for _ in range(4)]

    assert all(wait <= 0 for wait in waits[:2]), waits
    assert 90 < waits[2] <= 100 and 190 < waits[3] <= 200, waits


def test_a_caller_waits_for_its_slot_holding_no_connection(buckets: RateBuckets) -> None:
    waits: list[tuple[float, int]] = []
    limiter = SharedRateLimiter(
        buckets.engine,
        "api",
        SLOW_RATE,
        fallback=never,
        sleep=lambda seconds: waits.append((seconds, buckets.engine.pool.checkedout())),
    )

    limiter.acquire()
    limiter.acquire()

    ((seconds, connections_held),) = waits  # the first went at once
    assert 90 < seconds <= 100 and connections_held == 0


def test_each_source_has_a_bucket_of_its_own(buckets: RateBuckets) -> None:
    api = buckets.limiter("api", SLOW_RATE, fallback=never)
    web = buckets.limiter("web", SLOW_RATE, fallback=never)

    assert api.reserve() <= 0 and api.reserve() > 90
    assert web.reserve() <= 0


def test_an_unlimited_rate_asks_the_database_nothing(
    postgres: Engine, buckets: RateBuckets
) -> None:
    limiter = buckets.limiter("api", 0, fallback=never)

    for _ in range(1000):
        limiter.acquire()

    assert bucket_rows(postgres) == 0


@pytest.mark.slow
def test_threads_of_several_processes_share_one_total_rate(postgres: Engine) -> None:
    processes, threads, each, rate = 3, 4, 5, 40.0
    arguments = [POSTGRES_URL, "api", str(rate), str(threads), str(each)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.rate_worker", *arguments],
            cwd=ROOT,
            env=clean_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:  # every process connected before any starts
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()

    grants = sorted(grant for report in reports for grant in report["grants"])
    started = min(report["started"] for report in reports)
    total = processes * threads * each
    assert len(grants) == total
    assert sum(report["fallbacks"] for report in reports) == 0
    # Alone, each process would have finished in a third of this.
    assert grants[-1] - started >= (total - 1) / rate * 0.95


# --- when the database cannot answer --------------------------------------------------------


def test_the_shared_bucket_paces_again_once_the_database_answers(empty_postgres: str) -> None:
    buckets = RateBuckets(empty_postgres)
    local = CountingLimiter()
    limiter = buckets.limiter("api", SLOW_RATE, fallback=local.acquire)
    engine = make_engine(empty_postgres)
    try:
        with capture_logs() as logs:
            limiter.acquire()  # no rate_buckets table yet: an error like any other
            upgrade(engine)
            limiter.acquire()
            second = limiter.reserve()
        rows = bucket_rows(engine)
    finally:
        buckets.close()
        engine.dispose()

    assert local.acquired == 1
    assert second > 90 and rows == 1  # the second request took the bucket's first slot
    restored = [line for line in logs if line["event"] == "rate_bucket_restored"]
    assert [line["requests_paced_locally"] for line in restored] == [1]
