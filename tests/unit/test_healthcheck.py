"""Where ``cqc-monitor healthcheck`` asks, and what it makes of the answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.healthcheck import health_url, server_address, verdict
from monitor.errors import ConfigError
from monitor.settings.model import load_settings
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


@pytest.mark.parametrize(
    "server",
    [
        "",
        "port = 9200",
        'host = "127.0.0.2"\nport = "9200"',
        'port = " 9_200 "',
        "port = 9200.0",
        "port = 0",
        "port = 65536",
        "port = -1",
        "port = 9200.5",
        "port = inf",
        "port = true",
        'port = "ninety"',
        'port = "0x2400"',
        "port = [9200]",
        'port = "92\\t00"',
        "host = 7",
        'host = "worker\\n"',
        'host = ""',
        "host = 7\nport = true",
    ],
)
def test_the_two_keys_are_read_as_the_settings_model_reads_them(
    server: str, tmp_path: Path
) -> None:
    # healthcheck loads neither pydantic nor the settings model: it checks [server] host and
    # port itself, and must accept, refuse and explain them exactly as every other command.
    config = tmp_path / "monitor.toml"
    config.write_text(f'[sources.cqc_api]\nsubscription_key = "key"\n\n[server]\n{server}\n')
    assert _outcome(lambda: server_address(str(config))) == _outcome(
        lambda: load_settings(config, environ={}).server
    )


def test_a_server_key_that_is_not_a_table_is_refused_in_the_same_words(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('server = 9200\n[sources.cqc_api]\nsubscription_key = "key"\n')
    with pytest.raises(ConfigError) as settings_error:
        load_settings(config, environ={})
    with pytest.raises(ConfigError) as healthcheck_error:
        server_address(str(config))
    assert str(healthcheck_error.value) == str(settings_error.value)


def _outcome(read: Callable[[], Any]) -> tuple[str, int] | str:
    try:
        server = read()
    except ConfigError as exc:
        return str(exc)
    return server.host, server.port
