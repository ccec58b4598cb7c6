"""Requests no browser sends, to the dashboard over real HTTP, on SQLite and PostgreSQL.

Each answer is what a user (or a proxy in front) would see: a 400 naming the parameter,
never a 500; no redirect to a host the client chose; no link under a prefix that is not a
plain path.
"""

from __future__ import annotations

import re
import socket

import pytest
from sqlalchemy import Engine

from monitor.web.config import DashboardConfig
from monitor.web.security import local_location
from tests.support.dashboard import client, serving

# Every text parameter and path id the dashboard reads, each carrying a NUL byte.
NUL_REQUESTS = (
    ("/locations?q=a%00b", "q"),
    ("/locations?area=Kent%00", "area"),
    ("/changes?location=a%00b", "location"),
    ("/changes?provider=1-1%00", "provider"),
    ("/changes?area=%00", "area"),
    ("/changes.csv?location=a%00b", "location"),
    ("/changes.json?provider=%00x", "provider"),
    ("/locations/1-1%00", "location_id"),
    ("/deliveries/ops%00mail/dead", "sink"),
)


@pytest.mark.parametrize(("path", "parameter"), NUL_REQUESTS)
def test_a_nul_byte_is_a_bad_request_on_both_databases(
    engine: Engine, database_url: str, path: str, parameter: str
) -> None:
    with serving(database_url) as base:
        answer = client().get(base + path, timeout=10)
    assert answer.status_code == 400, answer.text[:300]
    assert f"{parameter}:" in answer.text
    assert "control character" in answer.text


def test_other_control_characters_and_overlong_ids_are_refused(
    engine: Engine, database_url: str
) -> None:
    with serving(database_url) as base:
        http = client()
        for path in ("/locations?q=a%1bb", "/changes?location=%0d%0a", "/locations/1-%7f"):
            assert http.get(base + path, timeout=10).status_code == 400, path
        long_id = http.get(base + "/locations/" + "1" * 201, timeout=10)
        assert long_id.status_code == 400 and "location_id: at most 200" in long_id.text
        # Ordinary text, tabs and accents included, is still searched.
        for path in ("/locations?q=St%20Mary%E2%80%99s", "/changes?location=Caf%C3%A9%09"):
            assert http.get(base + path, timeout=10).status_code == 200, path


def _raw_get(port: int, path: str, host: str) -> bytes:
    """A request exactly as written, Host header included (no client library tidies it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("prefix", "paths"),
    [
        (
            "",
            ("/static//etc/passwd", "//static/dashboard.css", "/locations//1-1", "//evil.example/"),
        ),
        ("/audit", ("/audit", "/audit//changes", "/audit/static//dashboard.css")),
    ],
)
def test_no_redirect_is_built_from_the_clients_host(
    demo_database: str, prefix: str, paths: tuple[str, ...]
) -> None:
    with serving(demo_database, DashboardConfig(path_prefix=prefix)) as base:
        port = int(base.rsplit(":", 1)[1])
        for path in paths:
            answer = _raw_get(port, path, "evil.example")
            head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            assert b"evil.example" not in answer, (path, head)
            location = re.search(r"(?im)^Location: *(\S*)", head)
            if location:  # a redirect may only stay on this server, by path
                assert location.group(1).startswith("/"), (path, head)
                assert not location.group(1).startswith("//"), (path, head)


@pytest.mark.parametrize(
    "prefix",
    [
        "/../../evil",
        "/cqc/../admin",
        "/./cqc",
        "/cqc/..",
        "https://evil.example/cqc",
        "//evil.example",
        "/cqc%2f..",
        "/c\tqc",
        "\\\\evil.example",
        "/cqc//x",
    ],
)
def test_a_forwarded_prefix_that_is_not_a_plain_path_is_ignored(
    demo_database: str, prefix: str
) -> None:
    with serving(demo_database) as base:
        page = client().get(base + "/changes", headers={"X-Forwarded-Prefix": prefix}, timeout=10)
    assert page.status_code == 200
    links = re.findall(r'(?:href|action)="([^"#]+)"', page.text)
    ours = [link for link in links if not link.startswith("https://")]
    assert ours and all(
        re.match(r"/(changes|locations|providers|deliveries|static|$)", link) for link in ours
    ), (
        prefix,
        sorted(set(ours))[:5],
    )
    assert "evil" not in page.text and "/.." not in page.text


@pytest.mark.parametrize(
    ("location", "kept"),
    [
        ("http://evil.example/changes?page=2", "/changes?page=2"),
        ("//evil.example/x", "/x"),
        ("https://evil.example", "/"),
        ("/locations/1-1#changes", "/locations/1-1#changes"),
    ],
)
def test_any_redirect_target_is_reduced_to_a_path_here(location: str, kept: str) -> None:
    assert local_location(location) == kept
