"""Fetching CQC website location pages, against `responses`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from monitor.sources.http import HttpGetter
from monitor.sources.web_client import CqcWebClient

SITE = "http://127.0.0.1:9"  # never reached: `responses` answers first
LOCATION_ID = "1-201307300"
PAGE_URL = f"{SITE}/location/{LOCATION_ID}/reports"
PAGE = (
    b"<!DOCTYPE html><html><body><h1>Alliance Medical Harley Street</h1>"
    b"<p>Overall: Good</p><p>2 April 2024 During a monthly review of our data</p></body></html>"
)


@pytest.fixture
def web(sleeps: list[float]) -> Iterator[CqcWebClient]:
    with HttpGetter(sleep=sleeps.append, max_response_bytes=64 * 1024) as getter:
        yield CqcWebClient(getter, base_url=SITE)


def test_page_is_fetched_as_html_bytes_with_an_honest_browser_like_request(
    http: responses.RequestsMock, web: CqcWebClient
) -> None:
    http.get(PAGE_URL, body=PAGE, content_type="text/html; charset=utf-8")

    result = web.fetch_page(LOCATION_ID)

    assert (result.status, result.http_status, result.url) == ("ok", 200, PAGE_URL)
    assert result.body == PAGE
    assert result.size == len(PAGE)
    assert result.data is None
    request = http.calls[0].request
    assert request.headers["Accept"].startswith("text/html")
    assert request.headers["User-Agent"].startswith("cqc-monitor/")
    assert "Ocp-Apim-Subscription-Key" not in request.headers


def test_a_page_served_as_json_is_an_error(http: responses.RequestsMock, web: CqcWebClient) -> None:
    http.get(PAGE_URL, json={"message": "maintenance"})

    result = web.fetch_page(LOCATION_ID)

    assert result.status == "error"
    assert "expected an HTML page" in (result.error or "")
    assert result.body is None


def test_markup_without_a_content_type_is_accepted(
    http: responses.RequestsMock, web: CqcWebClient
) -> None:
    http.get(PAGE_URL, body=PAGE, content_type=None)

    assert web.fetch_page(LOCATION_ID).status == "ok"


def test_a_missing_page_is_gone(http: responses.RequestsMock, web: CqcWebClient) -> None:
    http.get(PAGE_URL, status=404, body="<html>Page not found</html>", content_type="text/html")

    result = web.fetch_page(LOCATION_ID)

    assert (result.status, result.http_status) == ("gone", 404)


def test_the_site_turning_us_away_is_an_error_not_a_crash(
    http: responses.RequestsMock, web: CqcWebClient
) -> None:
    http.get(PAGE_URL, status=403, body="<html>Access denied</html>", content_type="text/html")

    result = web.fetch_page(LOCATION_ID)

    assert (result.status, result.http_status) == ("error", 403)
    assert "Access denied" in (result.error or "")
    assert len(http.calls) == 1


def test_an_unavailable_site_is_retried(
    http: responses.RequestsMock, web: CqcWebClient, sleeps: list[float]
) -> None:
    http.get(PAGE_URL, status=503, headers={"Retry-After": "3"}, body="busy")
    http.get(PAGE_URL, body=PAGE, content_type="text/html")

    assert web.fetch_page(LOCATION_ID).status == "ok"
    assert sleeps == [3.0]


def test_an_oversized_page_is_refused(http: responses.RequestsMock, web: CqcWebClient) -> None:
    http.get(PAGE_URL, body=b"<html>" + b"x" * 100_000, content_type="text/html")

    result = web.fetch_page(LOCATION_ID)

    assert result.status == "error"
    assert "byte cap" in (result.error or "")


def test_ids_cannot_escape_their_path_segment(
    http: responses.RequestsMock, web: CqcWebClient
) -> None:
    http.get(f"{SITE}/location/..%2Fadmin/reports", body=PAGE, content_type="text/html")

    assert web.fetch_page("../admin").status == "ok"
