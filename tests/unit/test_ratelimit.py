"""The shared rate limiter, driven by a fake clock so nothing really sleeps."""

from __future__ import annotations

import threading

import pytest

from monitor.sources.ratelimit import RateLimiter


class FakeClock:
    """A monotonic clock that only moves when someone sleeps.

    A sleeper wakes ``seconds`` after the time it last read, and the shared clock moves to the
    latest wake-up time, which is how threads sleeping against one wall clock behave.
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()
        self._seen = threading.local()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            self._seen.now = self._now
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            looked_at = getattr(self._seen, "now", self._now)
            self._now = max(self._now, looked_at + seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def limiter(clock: FakeClock, rate: float, burst: int = 1) -> RateLimiter:
    return RateLimiter(rate, burst, clock=clock, sleep=clock.sleep)


def test_one_thread_is_paced_at_the_configured_rate() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4)

    grants = []
    for _ in range(9):
        bucket.acquire()
        grants.append(clock())

    assert grants == pytest.approx([i * 0.25 for i in range(9)])


def test_threads_share_one_budget() -> None:
    clock = FakeClock()
    rate, threads, per_thread = 10.0, 8, 5
    bucket = limiter(clock, rate=rate)
    grants: list[float] = []
    grants_lock = threading.Lock()

    def worker() -> None:
        for _ in range(per_thread):
            bucket.acquire()
            with grants_lock:
                grants.append(clock())

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=10)

    total = threads * per_thread
    assert len(grants) == total
    assert clock() >= (total - 1) / rate - 1e-9
    # However the threads interleave, the k-th request may not start before k / rate.
    for k, granted_at in enumerate(sorted(grants)):
        assert granted_at >= k / rate - 1e-9


def test_burst_lets_that_many_through_at_once_then_paces() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=2, burst=3)

    grants = []
    for _ in range(5):
        bucket.acquire()
        grants.append(clock())

    assert grants == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


def test_idle_time_refills_the_burst_but_no_more() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=1, burst=2)
    bucket.acquire()
    bucket.acquire()
    clock.advance(60)  # a long quiet spell must not bank 60 requests

    start = clock()
    grants = []
    for _ in range(4):
        bucket.acquire()
        grants.append(clock() - start)

    assert grants == pytest.approx([0.0, 0.0, 1.0, 2.0])


@pytest.mark.parametrize("rate", [0, -1])
def test_a_non_positive_rate_means_unlimited(rate: float) -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=rate)

    for _ in range(1000):
        bucket.acquire()

    assert clock.sleeps == []


def test_burst_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(5, burst=0)
