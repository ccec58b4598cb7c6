"""``cqc-monitor healthcheck`` as a container engine runs it: a process that asks the worker's
health server on ``[server] port`` (a real one on loopback) and answers with its exit status."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.runtime.health import HealthServer, Heartbeat
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow


class Ticks:
    """The heartbeat's monotonic clock, moved by the test."""

    value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def worker(ticks: Ticks) -> Iterator[HealthServer]:
    """The worker's health server, on every interface as ``run`` listens by default."""
    heartbeat = Heartbeat(stale_after=30, clock=ticks)
    server = HealthServer(
        "0.0.0.0", 0, alive=heartbeat.probe, ready=heartbeat.probe, metrics=lambda: b""
    )
    server.start()
    yield server
    server.stop()


def config_for(folder: Path, port: int, host: str = "0.0.0.0") -> Path:
    return write_config(
        folder, "http://127.0.0.1:9", extra=f'[server]\nhost = "{host}"\nport = {port}\n'
    )


def test_a_healthy_worker_exits_0_and_no_database_is_opened(
    tmp_path: Path, worker: HealthServer
) -> None:
    result = run_cli(config_for(tmp_path, worker.port), "healthcheck")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"healthy: http://127.0.0.1:{worker.port}/healthz ok")
    assert list(tmp_path.iterdir()) == [tmp_path / "monitor.toml"]  # no database file created


def test_a_stalled_worker_exits_1_saying_what_healthz_answered(
    tmp_path: Path, worker: HealthServer, ticks: Ticks
) -> None:
    ticks.value += 45  # no heartbeat for 45 s: /healthz answers 503
    result = run_cli(config_for(tmp_path, worker.port), "healthcheck")
    assert result.returncode == 1
    assert result.stderr == (
        f"error: unhealthy: http://127.0.0.1:{worker.port}/healthz answered 503: "
        "stalled (last_beat_seconds_ago=45.0)\n"
    )


def test_no_worker_listening_exits_1_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and is again
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(config_for(tmp_path, port), "healthcheck")
    assert result.returncode == 1
    assert result.stderr == (
        f"error: unhealthy: http://127.0.0.1:{port}/healthz: Connection refused\n"
    )


def test_a_worker_that_accepts_but_never_answers_exits_1_after_the_timeout(
    tmp_path: Path,
) -> None:
    with socket.socket() as silent:  # the kernel completes the handshake; nobody reads
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        result = run_cli(config_for(tmp_path, port), "healthcheck", "--timeout", "0.5")
    assert result.returncode == 1
    assert "no answer within 0.5 s" in result.stderr


def test_the_configured_host_is_asked_when_it_is_not_every_interface(
    tmp_path: Path, ticks: Ticks
) -> None:
    heartbeat = Heartbeat(stale_after=30, clock=ticks)
    server = HealthServer(
        "127.0.0.2", 0, alive=heartbeat.probe, ready=heartbeat.probe, metrics=lambda: b""
    ).start()
    try:
        result = run_cli(config_for(tmp_path, server.port, host="127.0.0.2"), "healthcheck")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert f"http://127.0.0.2:{server.port}/healthz" in result.stdout


def test_a_broken_configuration_is_unhealthy_not_a_usage_error(tmp_path: Path) -> None:
    # Docker reserves exit status 2: a health check says 0 or 1.
    config = tmp_path / "monitor.toml"
    config.write_text('[sources.cqc_api]\nsubscription_key = "${UNSET_KEY_FOR_TEST}"\n')
    result = run_cli(config, "healthcheck")
    assert result.returncode == 1
    assert result.stderr.startswith("error: unhealthy: invalid configuration: ")
    assert "UNSET_KEY_FOR_TEST" in result.stderr and result.stderr.count("\n") == 1
