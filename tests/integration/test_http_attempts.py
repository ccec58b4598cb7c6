"""The HTTP edge tells its listener what every attempt came to (the worker's metrics count
them as ``cqc_monitor_http_requests_total``); `responses` plays the server."""

from __future__ import annotations

import contextlib

import pytest
import requests
import responses

from monitor.errors import SourceError
from monitor.sources.attempts import AttemptTally
from monitor.sources.http import HttpGetter, RetryPolicy

URL = "http://127.0.0.1:9/public/v1/locations/1-10000302982"


@pytest.mark.parametrize(
    ("answers", "outcomes"),
    [
        ([{"status": 200, "json": {}}], ["ok"]),
        ([{"status": 404}], ["not_found"]),
        ([{"status": 410}], ["not_found"]),
        (
            [{"status": 429, "headers": {"Retry-After": "0"}}, {"status": 200}],
            ["rate_limited", "ok"],
        ),
        ([{"status": 503}, {"status": 502}, {"status": 200}], ["server_error"] * 2 + ["ok"]),
        ([{"body": requests.ConnectionError("refused")}, {"status": 200}], ["network", "ok"]),
        ([{"body": requests.ReadTimeout("slow")}, {"status": 200}], ["network", "ok"]),
        ([{"status": 401}], ["refused"]),
        ([{"status": 403}], ["refused"]),
        ([{"status": 400}], ["client_error"]),
        (
            [{"status": 302, "headers": {"Location": "https://elsewhere.example.org/"}}],
            ["client_error"],
        ),
        ([{"status": 200, "body": b"x" * 4096}], ["too_large"]),
    ],
    ids=[
        "ok",
        "404",
        "410",
        "429-then-ok",
        "5xx-then-ok",
        "refused-connection",
        "read-timeout",
        "401",
        "403",
        "400",
        "redirect",
        "too-large",
    ],
)
def test_each_attempt_is_reported_with_its_outcome(
    http: responses.RequestsMock, answers: list[dict[str, object]], outcomes: list[str]
) -> None:
    for answer in answers:
        http.get(URL, **answer)  # type: ignore[arg-type]
    tally = AttemptTally()
    getter = HttpGetter(
        retry=RetryPolicy(max_attempts=3, backoff_base=0, backoff_max=0),
        sleep=lambda _seconds: None,
        max_response_bytes=1024,
        on_attempt=tally.listener("api"),
    )
    # How the caller is told of a failure is the client's own tests' business.
    with getter, contextlib.suppress(SourceError):
        getter.get(URL)

    expected: dict[tuple[str, str], int] = {}
    for outcome in outcomes:
        expected[("api", outcome)] = expected.get(("api", outcome), 0) + 1
    assert tally.counts() == expected
