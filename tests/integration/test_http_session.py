"""What the HTTP edge takes from its environment and its session, as requests would: a
``.netrc`` login, a proxy, the cookies a server sets, the query and the headers it sends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import responses

from monitor.sources.http import HttpGetter

BASE = "http://cqc.test/public/v1"


def test_a_netrc_login_for_the_host_is_sent(
    http: responses.RequestsMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine cqc.test login alice password s3cret\n", encoding="ascii")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    http.get(f"{BASE}/locations/1-1", json={})
    http.get("http://elsewhere.test/page", json={})
    with HttpGetter() as getter:
        getter.get(f"{BASE}/locations/1-1")
        getter.get(f"{BASE}/locations/1-1")  # the second time from what the first found
        getter.get("http://elsewhere.test/page")
    sent = [call.request.headers.get("Authorization") for call in http.calls]
    assert sent[0] == sent[1] == "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
    assert sent[2] is None


def test_query_headers_and_user_agent_are_sent(http: responses.RequestsMock) -> None:
    http.get(f"{BASE}/locations", json={})
    with HttpGetter(user_agent="monitor-test/1") as getter:
        response = getter.get(
            f"{BASE}/locations",
            params={"page": 2, "region": ["London", "East"]},
            headers={"Ocp-Apim-Subscription-Key": "k"},
        )
    assert response.status == 200
    request = http.calls[0].request
    assert request.url == f"{BASE}/locations?page=2&region=London&region=East"
    assert request.headers["Ocp-Apim-Subscription-Key"] == "k"
    assert request.headers["User-Agent"] == "monitor-test/1"


def test_each_request_to_a_host_sends_its_own_url_query_and_headers(
    http: responses.RequestsMock,
) -> None:
    """A host's GETs are copies of one prepared request: nothing of one may reach another."""
    http.get(f"{BASE}/locations/1-1", json={})
    http.get(f"{BASE}/locations/1-2", json={})
    http.get(f"{BASE}/locations", json={})
    with HttpGetter() as getter:
        getter.get(f"{BASE}/locations/1-1", headers={"Ocp-Apim-Subscription-Key": "first"})
        getter.get(f"{BASE}/locations/1-2", headers={"Ocp-Apim-Subscription-Key": "second"})
        getter.get(f"{BASE}/locations", params={"page": 3})
        getter.get(f"{BASE}/locations/1-1", headers={"Ocp-Apim-Subscription-Key": "first"})
    sent = [(c.request.url, c.request.headers.get("Ocp-Apim-Subscription-Key")) for c in http.calls]
    assert sent == [
        (f"{BASE}/locations/1-1", "first"),
        (f"{BASE}/locations/1-2", "second"),
        (f"{BASE}/locations?page=3", None),
        (f"{BASE}/locations/1-1", "first"),
    ]


def test_cookies_a_server_sets_are_sent_back(http: responses.RequestsMock) -> None:
    http.get(f"{BASE}/a", json={}, headers={"Set-Cookie": "visit=42; Path=/"})
    http.get(f"{BASE}/b", json={})
    with HttpGetter() as getter:
        getter.get(f"{BASE}/a")
        getter.get(f"{BASE}/b")
    assert "Cookie" not in http.calls[0].request.headers
    assert http.calls[1].request.headers["Cookie"] == "visit=42"


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.asked: list[str] = []


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _Proxy

    def do_GET(self) -> None:
        self.server.asked.append(self.path)  # a proxy is asked for the absolute URL
        body = b'{"via": "proxy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    server = _Proxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_proxy_from_the_environment_carries_the_requests(
    proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with HttpGetter() as getter:
        first = getter.get("http://cqc.test/public/v1/locations/1-1")
        second = getter.get("http://cqc.test/public/v1/locations/1-2")
    assert first.body == second.body == b'{"via": "proxy"}'
    assert proxy.asked == [
        "http://cqc.test/public/v1/locations/1-1",
        "http://cqc.test/public/v1/locations/1-2",
    ]
