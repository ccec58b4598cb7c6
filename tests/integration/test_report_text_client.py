"""The report-text client at the HTTP edge (``responses``): where a reportUri leads, what it
asks for, and every way a text can fail to arrive, each a value and never an exception."""

from __future__ import annotations

import responses
from responses import matchers

from monitor.sources.http import RetryPolicy, build_http_getter
from monitor.sources.report_text import ReportTextClient
from tests.fakes import CountingLimiter

BASE = "https://api.service.cqc.org.uk/public/v1"
LINK = "8d751af1-d418-4d70-956d-eac92d2c9ff6"
URI = f"/reports/{LINK}?20220420120000"
URL = f"{BASE}/reports/{LINK}"


def client(
    sleeps: list[float], limiter: CountingLimiter | None = None, max_response_bytes: int = 1 << 21
) -> ReportTextClient:
    getter = build_http_getter(
        requests_per_second=0,
        concurrency=1,
        timeout_seconds=30,
        max_response_bytes=max_response_bytes,
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.01),
        sleep=sleeps.append,
        limiter=limiter,
    )
    return ReportTextClient(
        getter, base_url=BASE, subscription_key="secret-key", partner_code="acme"
    )


def test_the_text_of_a_report_uri_with_its_query_suffix(
    http: responses.RequestsMock, sleeps: list[float]
) -> None:
    http.get(
        URL,
        body="We found 3 breaches of regulation.",
        content_type="text/plain; charset=utf-8",
        match=[
            matchers.header_matcher(
                {"Accept": "text/plain", "Ocp-Apim-Subscription-Key": "secret-key"}
            ),
            matchers.query_param_matcher({"20220420120000": "", "partnerCode": "acme"}),
        ],
    )
    result = client(sleeps).fetch_text(URI)
    assert (result.status, result.data, result.http_status) == (
        "ok",
        "We found 3 breaches of regulation.",
        200,
    )
    assert result.url.startswith(URL)


def test_a_404_is_a_gone_value(http: responses.RequestsMock, sleeps: list[float]) -> None:
    http.get(URL, status=404, json={"message": "Not found"})
    result = client(sleeps).fetch_text(URI)
    assert (result.status, result.http_status, result.data) == ("gone", 404, None)
    assert sleeps == []  # a 4xx is never retried


def test_a_5xx_is_retried(http: responses.RequestsMock, sleeps: list[float]) -> None:
    http.get(URL, status=503)
    http.get(URL, body="Text.", content_type="text/plain")
    assert client(sleeps).fetch_text(URI).data == "Text."
    assert len(sleeps) == 1


def test_a_text_above_the_cap_is_refused(http: responses.RequestsMock, sleeps: list[float]) -> None:
    http.get(URL, body="x" * 5000, content_type="text/plain")
    result = client(sleeps, max_response_bytes=4096).fetch_text(URI)
    assert result.status == "error" and result.data is None
    assert "4096 byte cap" in (result.error or "")


def test_a_pdf_is_not_read_as_words(http: responses.RequestsMock, sleeps: list[float]) -> None:
    http.get(URL, body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf")
    result = client(sleeps).fetch_text(URI)
    assert result.status == "error"
    assert "PDF, not its text extract" in (result.error or "")


def test_windows_1252_text_is_decoded(http: responses.RequestsMock, sleeps: list[float]) -> None:
    http.get(URL, body="People\x92s care was \x93safe\x94.".encode("latin-1"))
    assert client(sleeps).fetch_text(URI).data == "People\u2019s care was \u201csafe\u201d."


def test_a_refused_key_is_a_value_not_the_end_of_the_cycle(
    http: responses.RequestsMock, sleeps: list[float]
) -> None:
    http.get(URL, status=401, json={"message": "Access denied"})
    result = client(sleeps).fetch_text(URI)
    assert (result.status, result.http_status) == ("error", 401)


def test_a_link_to_another_host_is_never_followed_with_the_key(
    http: responses.RequestsMock, sleeps: list[float]
) -> None:
    result = client(sleeps).fetch_text(f"https://elsewhere.example.org/reports/{LINK}")
    assert result.status == "error" and "points outside the API" in (result.error or "")
    assert len(http.calls) == 0


def test_an_absolute_link_to_the_api_itself_is_followed(
    http: responses.RequestsMock, sleeps: list[float]
) -> None:
    http.get(URL, body="Text.", content_type="text/plain")
    assert client(sleeps).fetch_text(f"{URL}?20220420120000").data == "Text."


def test_each_request_takes_the_shared_rate(
    http: responses.RequestsMock, sleeps: list[float]
) -> None:
    limiter = CountingLimiter()
    http.get(URL, status=503)
    http.get(URL, body="Text.", content_type="text/plain")
    client(sleeps, limiter).fetch_text(URI)
    assert limiter.acquired == 2  # the retry too
