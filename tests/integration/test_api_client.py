"""The Syndication API client and its HTTP edge, against `responses` and a loopback server."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from structlog.testing import capture_logs

from monitor.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    SourceError,
)
from monitor.sim import Population, SimulatedCqc
from monitor.sim.routes import API_PREFIX
from monitor.sources.api_client import CqcApiClient
from monitor.sources.http import HttpGetter, RetryPolicy, build_http_getter
from monitor.sources.web_client import CqcWebClient
from tests.support import documents as docs

CQC_DATA = Path(__file__).parents[1] / "fixtures" / "cqc"
KEY = "test-subscription-key-5f2c9a"
PARTNER = "acme-care-monitoring"
BASE = "http://127.0.0.1:9/public/v1"  # never reached: `responses` answers first
LOCATION_ID = "1-10000302982"
LOCATION_URL = f"{BASE}/locations/{LOCATION_ID}"
CAP = 256 * 1024


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[CqcApiClient]:
    getter = HttpGetter(sleep=sleeps.append, max_response_bytes=CAP)
    with getter:
        yield CqcApiClient(getter, base_url=BASE, subscription_key=KEY, partner_code=PARTNER)


def location_body() -> bytes:
    return (CQC_DATA / "locations" / f"{LOCATION_ID}.json").read_bytes()


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


# --- location documents ---------------------------------------------------------------------


def test_location_document_is_fetched_with_key_partner_code_and_user_agent(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    http.get(LOCATION_URL, body=location_body(), content_type="application/json")

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "ok"
    assert result.data["name"] == "Henley House"
    assert result.body == location_body()
    assert (result.http_status, result.size) == (200, len(location_body()))
    assert result.url == LOCATION_URL
    request = http.calls[0].request
    assert request.headers["Ocp-Apim-Subscription-Key"] == KEY
    assert request.headers["User-Agent"].startswith("cqc-monitor/")
    assert query(http.calls[0]) == {"partnerCode": [PARTNER]}


def test_partner_code_is_left_out_when_not_configured(http: responses.RequestsMock) -> None:
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})
    with HttpGetter() as getter:
        CqcApiClient(getter, base_url=BASE, subscription_key=KEY).fetch_location(LOCATION_ID)

    assert query(http.calls[0]) == {}


@pytest.mark.parametrize("status", [404, 410])
def test_a_vanished_location_is_gone(
    http: responses.RequestsMock, client: CqcApiClient, status: int
) -> None:
    http.get(LOCATION_URL, status=status, json={"message": "Not found"})

    result = client.fetch_location(LOCATION_ID)

    assert (result.status, result.http_status) == ("gone", status)
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    ("body", "complaint"),
    [(b'{"locationId": "1-1", "name": ', "malformed JSON"), (b"[1, 2]", "JSON object")],
    ids=["truncated", "array"],
)
def test_a_body_that_is_not_a_json_object_is_an_error(
    http: responses.RequestsMock, client: CqcApiClient, body: bytes, complaint: str
) -> None:
    http.get(LOCATION_URL, body=body, content_type="application/json")

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "error"
    assert complaint in (result.error or "")
    assert (result.http_status, result.size, result.data) == (200, len(body), None)


def test_a_refused_key_stops_everything_without_retrying(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    refusal = (CQC_DATA / "error-401-invalid-key.json").read_bytes()
    http.get(LOCATION_URL, status=401, body=refusal, content_type="application/json")

    with pytest.raises(AuthenticationError) as caught:
        client.fetch_location(LOCATION_ID)

    message = str(caught.value)
    assert "CQC API refused the subscription key" in message
    assert "Access denied due to invalid subscription key" in message
    assert KEY not in message
    assert caught.value.http_status == 401
    assert len(http.calls) == 1


def test_a_forbidden_key_also_stops_paged_listings(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    http.get(f"{BASE}/locations", status=403, json={"message": "Forbidden"})

    with pytest.raises(AuthenticationError, match="subscription key"):
        list(client.iter_register())
    assert len(http.calls) == 1


def test_other_client_errors_are_reported_once_not_retried(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, status=400, json={"message": "Bad Request"})

    result = client.fetch_location(LOCATION_ID)

    assert (result.status, result.http_status) == ("error", 400)
    assert "Bad Request" in (result.error or "")
    assert len(http.calls) == 1
    assert sleeps == []


def test_the_factory_paces_requests_at_the_configured_rate(http: responses.RequestsMock) -> None:
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})
    client = CqcApiClient.create(
        base_url=BASE, subscription_key=KEY, partner_code=PARTNER, requests_per_second=25
    )

    started = time.monotonic()
    with client.getter:
        statuses = {client.fetch_location(LOCATION_ID).status for _ in range(6)}

    assert statuses == {"ok"}
    assert time.monotonic() - started >= 5 / 25 - 0.01
    assert query(http.calls[0]) == {"partnerCode": [PARTNER]}


# --- retries ----------------------------------------------------------------------------------


def test_429_waits_exactly_what_retry_after_says(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, status=429, headers={"Retry-After": "7"}, json={"message": "slow"})
    http.get(LOCATION_URL, body=location_body(), content_type="application/json")

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "ok"
    assert sleeps == [7.0]
    assert len(http.calls) == 2  # counted where they arrive, not by the client


def test_retry_after_as_an_http_date(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    http.get(LOCATION_URL, status=429, headers={"Retry-After": when})
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})

    assert client.fetch_location(LOCATION_ID).status == "ok"
    assert len(sleeps) == 1
    assert 27 <= sleeps[0] <= 30


def test_an_outrageous_retry_after_is_capped(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, status=429, headers={"Retry-After": "86400"})
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})

    assert client.fetch_location(LOCATION_ID).status == "ok"
    assert sleeps == [120.0]


@pytest.mark.parametrize(
    "retry_after",
    ["999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"],
    ids=["huge-seconds", "infinite-seconds", "far-date"],
)
def test_an_absurd_retry_after_waits_the_cap(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float], retry_after: str
) -> None:
    http.get(LOCATION_URL, status=429, headers={"Retry-After": retry_after})
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})

    assert client.fetch_location(LOCATION_ID).status == "ok"
    assert sleeps == [120.0]


def test_server_error_is_retried_with_backoff(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, status=500, json={"message": "Internal server error."})
    http.get(LOCATION_URL, status=502, body="bad gateway")
    http.get(LOCATION_URL, body=location_body(), content_type="application/json")

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "ok"
    assert len(sleeps) == 2
    # base 0.5 s doubling, plus up to 0.5 s of jitter
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 1.5


def test_timeout_then_success(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})

    assert client.fetch_location(LOCATION_ID).status == "ok"
    assert len(sleeps) == 1


def test_timeouts_until_retries_run_out_are_an_error_result(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with capture_logs() as logs:
        result = client.fetch_location(LOCATION_ID)

    assert result.status == "error"
    assert "timed out" in (result.error or "")
    assert "gave up after 5 attempts" in (result.error or "")
    assert len(http.calls) == 5
    assert len(sleeps) == 4
    retries = [e for e in logs if e["event"] == "http_retry"]
    assert [e["attempt"] for e in retries] == [1, 2, 3, 4]
    assert KEY not in repr(logs)


def test_rate_limiting_until_retries_run_out_is_an_error_result(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, status=429, headers={"Retry-After": "1"})

    result = client.fetch_location(LOCATION_ID)

    assert (result.status, result.http_status) == ("error", 429)
    assert sleeps == [1.0] * 4


def test_connection_refused_is_retried(
    http: responses.RequestsMock, client: CqcApiClient, sleeps: list[float]
) -> None:
    http.get(LOCATION_URL, body=requests.exceptions.ConnectionError("connection refused"))
    http.get(LOCATION_URL, json={"locationId": LOCATION_ID})

    assert client.fetch_location(LOCATION_ID).status == "ok"
    assert len(http.calls) == 2  # counted where they arrive, not by the client


# --- size cap ---------------------------------------------------------------------------------


class EndlessBytes(io.RawIOBase):
    """A response body source that counts how much the client pulled out of it."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"x" * n
        self.remaining -= n
        self.served += n
        return n


def test_a_declared_oversized_body_is_refused_unread(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    source = EndlessBytes(CAP + 1)
    http.get(
        LOCATION_URL,
        body=io.BufferedReader(source),
        headers={"Content-Length": str(CAP + 1)},
        content_type="application/json",
    )

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "error"
    assert "byte cap" in (result.error or "")
    assert source.served == 0
    assert len(http.calls) == 1


def test_an_undeclared_oversized_body_is_cut_off_at_the_cap(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    source = EndlessBytes(50 * 1024 * 1024)
    http.get(LOCATION_URL, body=io.BufferedReader(source), content_type="application/json")

    result = client.fetch_location(LOCATION_ID)

    assert result.status == "error"
    assert "exceeds the" in (result.error or "")
    assert source.served <= CAP + 128 * 1024
    assert len(http.calls) == 1


# --- providers and paged lists ------------------------------------------------------------------


def test_provider_location_ids(http: responses.RequestsMock, client: CqcApiClient) -> None:
    http.get(f"{BASE}/providers/1-158825942", json={"locationIds": ["1-201307300", "1-2"]})

    assert client.provider_location_ids("1-158825942") == ["1-201307300", "1-2"]
    assert query(http.calls[0]) == {"partnerCode": [PARTNER]}


def test_provider_without_locations(http: responses.RequestsMock, client: CqcApiClient) -> None:
    http.get(f"{BASE}/providers/1-1", json={"providerId": "1-1"})  # empty lists are omitted

    assert client.provider_location_ids("1-1") == []


def test_unknown_provider_is_not_found(http: responses.RequestsMock, client: CqcApiClient) -> None:
    http.get(f"{BASE}/providers/1-404", status=404, json={"message": "Not found"})

    with pytest.raises(NotFoundError):
        client.provider_location_ids("1-404")


def register_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    first = json.loads((CQC_DATA / "list-locations-page1.json").read_text())
    first.update(totalPages=2, total=13)
    second = {
        "page": 2,
        "totalPages": 2,
        "nextPageUri": None,
        "locations": [{"locationId": f"1-9{i}", "locationName": f"Home {i}"} for i in range(3)],
    }
    return first, second


def test_register_follows_every_page(http: responses.RequestsMock, client: CqcApiClient) -> None:
    first, second = register_pages()
    http.get(f"{BASE}/locations", json=first)
    http.get(f"{BASE}/locations", json=second)

    ids = list(client.iter_register())

    assert ids[0] == "1-10000302982"
    assert ids[-3:] == ["1-90", "1-91", "1-92"]
    assert len(ids) == 13
    assert [query(c)["page"] for c in http.calls] == [["1"], ["2"]]
    assert all(query(c)["perPage"] == ["1000"] for c in http.calls)
    assert all(query(c)["partnerCode"] == [PARTNER] for c in http.calls)


def test_register_is_fetched_only_as_far_as_it_is_read(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    first, second = register_pages()
    http.get(f"{BASE}/locations", json=first)
    http.get(f"{BASE}/locations", json=second)

    assert next(client.iter_register()) == "1-10000302982"
    assert len(http.calls) == 1


def test_paging_without_total_pages_stops_at_a_null_next_page(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    http.get(f"{BASE}/locations", json={"locations": [{"locationId": "1-1"}], "nextPageUri": "/x"})
    http.get(f"{BASE}/locations", json={"locations": [{"locationId": "1-2"}], "nextPageUri": None})

    assert list(client.iter_register()) == ["1-1", "1-2"]
    assert len(http.calls) == 2


def test_change_feed_sends_the_window_and_reads_every_page(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    url = f"{BASE}/changes/location"
    http.get(url, json={"page": 1, "totalPages": 2, "changes": ["1-1", "1-2"]})
    http.get(url, json={"page": 2, "totalPages": 2, "changes": ["1-2", "1-3"]})
    start = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    end = datetime(2024, 1, 8, 13, 0, tzinfo=timezone(timedelta(hours=1)))  # 12:00 UTC

    ids = list(client.iter_changes(start, end))

    assert ids == ["1-1", "1-2", "1-3"]
    for page, call in enumerate(http.calls, start=1):
        assert query(call) == {
            "startTimestamp": ["2024-01-01T12:00:00Z"],
            "endTimestamp": ["2024-01-08T12:00:00Z"],
            "page": [str(page)],
            "perPage": ["1000"],
            "partnerCode": [PARTNER],
        }
    assert len(http.calls) == 2  # counted where they arrive, not by the client


def test_change_feed_refuses_naive_timestamps(client: CqcApiClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        list(client.iter_changes(datetime(2024, 1, 1), datetime(2024, 1, 2)))


def page_of(ids: list[str], **envelope: Any) -> dict[str, Any]:
    return {"changes": ids, **envelope}


def paged_forever(http: responses.RequestsMock, **envelope: Any) -> None:
    """A change feed that hands out fresh ids on every page and always has a next one."""
    pages = iter(range(1, 10**6))

    def answer(_request: Any) -> tuple[int, dict[str, str], str]:
        page = next(pages)
        body = page_of([f"1-{page}a", f"1-{page}b"], nextPageUri=f"/x?page={page + 1}", **envelope)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    http.add_callback(responses.GET, f"{BASE}/changes/location", callback=answer)


WINDOW = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC))


@pytest.mark.parametrize(
    "total_pages",
    [1e9, "2", -1, True, 2.5],
    ids=["float", "string", "negative", "boolean", "fraction"],
)
def test_a_page_count_that_is_not_a_whole_number_is_malformed(
    http: responses.RequestsMock, client: CqcApiClient, total_pages: Any
) -> None:
    http.get(f"{BASE}/changes/location", json=page_of(["1-1"], totalPages=total_pages))
    with pytest.raises(MalformedResponseError, match="totalPages"):
        list(client.iter_changes(*WINDOW))
    assert len(http.calls) == 1


def test_a_billion_pages_for_a_handful_of_records_is_malformed(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    http.get(
        f"{BASE}/changes/location",
        json=page_of(["1-1", "1-2"], totalPages=10**9, total=2, perPage=1000),
    )
    with pytest.raises(MalformedResponseError, match="1000000000 pages"):
        list(client.iter_changes(*WINDOW))
    assert len(http.calls) == 1


def test_paging_without_an_end_stops_at_the_hard_cap(sleeps: list[float]) -> None:
    with responses.RequestsMock() as http, HttpGetter(sleep=sleeps.append) as getter:
        paged_forever(http)
        client = CqcApiClient(getter, base_url=BASE, subscription_key=KEY, max_pages=5)
        with pytest.raises(SourceError, match="more than 5 pages"):
            list(client.iter_changes(*WINDOW))
        assert len(http.calls) == 5


def test_pages_past_what_the_first_page_announced_are_bounded(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    # Every page claims one more page than there are, each with new ids.
    paged_forever(http, total=2000, perPage=1000, totalPages=10**6)
    with pytest.raises(MalformedResponseError, match="1000000 pages for 2000 records"):
        list(client.iter_changes(*WINDOW))

    http.reset()
    paged_forever(http, total=2000, perPage=1000)  # no totalPages: nextPageUri says "more"
    with pytest.raises(SourceError, match="more than 4 pages"):
        list(client.iter_changes(*WINDOW))


def test_a_page_that_adds_no_new_id_ends_the_walk_as_an_error(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    url = f"{BASE}/changes/location"
    http.get(url, json=page_of(["1-1", "1-2"], totalPages=3, total=3000, perPage=1000))
    http.get(url, json=page_of(["1-2", "1-1"], totalPages=3, total=3000, perPage=1000))
    with pytest.raises(MalformedResponseError, match="no id that page 1 did not"):
        list(client.iter_changes(*WINDOW))
    assert len(http.calls) == 2  # counted where they arrive, not by the client


def test_a_register_that_grows_while_it_is_paged_is_read_to_the_end(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    url = f"{BASE}/locations"
    for page, total_pages in ((1, 2), (2, 3), (3, 3)):
        items = [{"locationId": f"1-{page}{i}"} for i in range(2)]
        envelope = {"page": page, "totalPages": total_pages, "total": 2 * total_pages}
        http.get(url, json={"locations": items, "perPage": 2, **envelope})

    assert list(client.iter_register()) == ["1-10", "1-11", "1-20", "1-21", "1-30", "1-31"]


# --- a real socket ----------------------------------------------------------------------------


class HangingServer(ThreadingHTTPServer):
    """Accepts requests and answers only when released (or after 5 s)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HangingHandler)
        self.release = threading.Event()
        self.hits = 0


class HangingHandler(BaseHTTPRequestHandler):
    server: HangingServer

    def do_GET(self) -> None:
        self.server.hits += 1
        self.server.release.wait(5)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass  # the client gave up long ago

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_read_timeout_cuts_off_a_hanging_server(hanging_server: HangingServer) -> None:
    port = hanging_server.server_address[1]
    client = CqcApiClient.create(
        base_url=f"http://127.0.0.1:{port}/public/v1",
        subscription_key=KEY,
        timeout_seconds=0.3,
        retry=RetryPolicy(max_attempts=2),
        sleep=lambda _seconds: None,
    )
    started = time.monotonic()
    with client.getter:
        result = client.fetch_location(LOCATION_ID)

    assert time.monotonic() - started < 2.5  # the server would have held on for 5 s each
    assert result.status == "error"
    assert "timed out" in (result.error or "")
    assert hanging_server.hits == 2


@pytest.fixture
def simulator() -> Iterator[tuple[SimulatedCqc, str]]:
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()), web_pages=True)
    with sim.serve() as server:
        yield sim, server.base_url


def test_a_dribbling_answer_is_cut_off_at_the_deadline_and_retried(
    simulator: tuple[SimulatedCqc, str],
) -> None:
    sim, base_url = simulator
    sim.faults.dribble(0.05, times=1, location_id=LOCATION_ID)  # each byte well within 2 s
    client = CqcApiClient.create(
        base_url=base_url,
        subscription_key="sim-key",
        timeout_seconds=2,
        deadline_seconds=0.5,
        retry=RetryPolicy(max_attempts=2),
        sleep=lambda _seconds: None,
    )
    with client.getter, capture_logs() as logs:
        result = client.fetch_location(LOCATION_ID)

    assert result.status == "ok"
    [retry] = [entry for entry in logs if entry["event"] == "http_retry"]
    assert "timed out" in retry["error"] and "0.5s deadline" in retry["error"]
    assert sim.stats.count("location") == 2


@pytest.mark.parametrize("body_only", [False, True], ids=["slow-head", "slow-body"])
def test_a_dribbling_answer_every_time_is_a_timeout_error(
    simulator: tuple[SimulatedCqc, str], body_only: bool
) -> None:
    sim, base_url = simulator
    # Minutes for the whole answer, each byte in good time for the 2 s read timeout.
    sim.faults.dribble(0.05, times=None, location_id=LOCATION_ID, body_only=body_only)
    client = CqcApiClient.create(
        base_url=base_url,
        subscription_key="sim-key",
        timeout_seconds=2,
        deadline_seconds=0.5,
        retry=RetryPolicy(max_attempts=2),
        sleep=lambda _seconds: None,
    )
    with client.getter:
        result = client.fetch_location(LOCATION_ID)

    assert result.status == "error"
    assert "no complete answer within the 0.5s deadline" in (result.error or "")
    assert "gave up after 2 attempts" in (result.error or "")


def test_a_dribbling_website_page_is_cut_off_at_the_deadline(
    simulator: tuple[SimulatedCqc, str],
) -> None:
    sim, base_url = simulator
    sim.faults.dribble(0.05, times=None, location_id=LOCATION_ID)
    getter = build_http_getter(
        requests_per_second=0,
        concurrency=1,
        timeout_seconds=2,
        deadline_seconds=0.5,
        retry=RetryPolicy(max_attempts=1),
        follow_redirects=True,
    )
    web = CqcWebClient(getter, base_url=base_url.removesuffix(API_PREFIX))
    with getter:
        result = web.fetch_page(LOCATION_ID)

    assert result.status == "error"
    assert "0.5s deadline" in (result.error or "")
    assert sim.stats.count("web") == 1


def test_a_redirect_is_not_followed_so_the_key_never_leaves_the_api(
    http: responses.RequestsMock, client: CqcApiClient
) -> None:
    http.get(LOCATION_URL, status=302, headers={"Location": "https://elsewhere.example.org/x"})
    stolen = http.get("https://elsewhere.example.org/x", json={"locationId": LOCATION_ID})
    result = client.fetch_location(LOCATION_ID)
    assert result.status == "error"
    assert "redirect not followed" in str(result.error)
    assert stolen.call_count == 0
