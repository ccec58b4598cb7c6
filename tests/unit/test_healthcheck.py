"""Where ``cqc-monitor healthcheck`` asks, and what it makes of the answer."""

from __future__ import annotations

import pytest

from monitor.cli.healthcheck import health_url, verdict
from monitor.settings.sections import ServerSettings


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:9200/healthz"),
        ("::", "http://127.0.0.1:9200/healthz"),
        ("", "http://127.0.0.1:9200/healthz"),
        ("10.0.0.7", "http://10.0.0.7:9200/healthz"),
        ("::1", "http://[::1]:9200/healthz"),
        ("worker.internal", "http://worker.internal:9200/healthz"),
    ],
)
def test_every_interface_is_asked_on_loopback_any_other_host_as_configured(
    host: str, url: str
) -> None:
    assert health_url(ServerSettings(host=host, port=9200))[2] == url


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            200,
            b'{"status": "ok", "last_beat_seconds_ago": 1.5}',
            (True, "ok (last_beat_seconds_ago=1.5)"),
        ),
        (503, b'{"status": "stalled"}', (False, "answered 503: stalled")),
        (
            500,
            b'{"status": "error", "reason": "boom\\nagain"}',
            (False, "answered 500: error (reason=boom again)"),
        ),
        (502, b"<html>\n Bad Gateway </html>", (False, "answered 502: <html> Bad Gateway </html>")),
        (200, b"", (True, "no body")),
    ],
)
def test_only_200_is_healthy_and_the_answer_is_one_line(
    status: int, body: bytes, expected: tuple[bool, str]
) -> None:
    assert verdict(status, body) == expected
