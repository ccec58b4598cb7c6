"""A shared rate bucket whose database cannot answer: every request still goes out, paced by
the process's own limiter, and the operator hears of it once a minute, not once a request."""

from __future__ import annotations

import responses
from structlog.testing import capture_logs

from monitor.sources.http import HttpGetter
from monitor.store.rate_buckets import RateBuckets, SharedRateLimiter
from tests.fakes import CountingLimiter

NOWHERE = "postgresql+psycopg://monitor@127.0.0.1:1/monitor"  # nothing listens on port 1


def test_each_request_falls_back_to_the_local_limiter_with_a_warning_a_minute() -> None:
    unreachable = RateBuckets(NOWHERE)
    local = CountingLimiter()
    now = [1000.0]
    limiter = SharedRateLimiter(
        unreachable.engine, "api", 8, fallback=local.acquire, clock=lambda: now[0]
    )
    try:
        with capture_logs() as logs:
            for _ in range(3):
                limiter.acquire()
            now[0] += 61  # a minute on: the outage is worth saying again
            limiter.acquire()
    finally:
        unreachable.close()

    assert local.acquired == 4
    warnings = [line for line in logs if line["event"] == "rate_bucket_unavailable"]
    assert [w["requests_paced_locally"] for w in warnings] == [1, 3]
    assert warnings[0]["log_level"] == "warning" and warnings[0]["bucket"] == "api"
    assert "127.0.0.1" in warnings[0]["error"]


def test_an_unlimited_rate_needs_no_database_at_all() -> None:
    unreachable = RateBuckets(NOWHERE)
    local = CountingLimiter()
    try:
        with capture_logs() as logs:
            limiter = unreachable.limiter("api", 0, fallback=local.acquire)
            for _ in range(100):
                limiter.acquire()
    finally:
        unreachable.close()

    assert local.acquired == 0 and logs == []


def test_a_fetch_goes_out_when_the_database_cannot_pace_it(
    http: responses.RequestsMock,
) -> None:
    http.get("https://api.example.test/locations/1-1", json={"locationId": "1-1"})
    unreachable = RateBuckets(NOWHERE)
    local = CountingLimiter()
    getter = HttpGetter(limiter=unreachable.limiter("api", 8, fallback=local.acquire))
    try:
        with capture_logs():
            response = getter.get("https://api.example.test/locations/1-1")
    finally:
        getter.close()
        unreachable.close()

    assert response.status == 200 and local.acquired == 1
