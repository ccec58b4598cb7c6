"""``cqc-monitor dashboard`` and ``run`` serving the dashboard, as processes a user starts."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from monitor.sim import Population, SimulatedCqc
from monitor.store import migrate
from monitor.store.engine import make_engine
from tests.support import documents as docs
from tests.support.cli import clean_environment
from tests.support.dashboard import client
from tests.support.waiting import DEADLINE, wait_for

pytestmark = pytest.mark.slow


@contextmanager
def process(args: list[str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=clean_environment(),
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=DEADLINE)
        if child.stdout is not None:
            child.stdout.close()


def stop(child: subprocess.Popen[str]) -> int:
    child.send_signal(signal.SIGTERM)
    return child.wait(timeout=DEADLINE)


def test_an_auditor_browses_a_copied_file_without_any_configuration(
    demo_database: str, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(demo_database.removeprefix("sqlite:///"), copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    args = ["dashboard", "--database", f"sqlite:///{copy}", "--port", "0"]
    with process(args, tmp_path, tmp_path / "stderr.log") as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("cqc-monitor dashboard: http://127.0.0.1:"), line
        base = line.split(": ", 1)[1].strip().rstrip("/")
        page = client().get(base + "/changes", timeout=10)
        assert page.status_code == 200 and "Henley House" in page.text
        assert stop(child) == 0
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


def test_a_database_behind_the_migrations_is_refused_with_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    migrate.upgrade(engine, "0002")
    engine.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "dashboard", "--database", f"sqlite:///{old}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(),
        check=False,
    )
    assert result.returncode == 1
    assert "behind this version's" in result.stderr and "cqc-monitor db upgrade" in result.stderr
    engine = make_engine(f"sqlite:///{old}")
    assert migrate.current_revision(engine) == "0002"
    engine.dispose()


def test_hash_password_makes_a_hash_the_configuration_accepts(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "dashboard", "hash-password", "--stdin"],
        input="a long passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hashed = result.stdout.strip()
    assert check_password_hash(hashed, "a long passphrase") and "passphrase" not in hashed


def run_config(folder: Path, api_url: str, server: str) -> Path:
    config = folder / "monitor.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{folder / "monitor.db"}"
[sources.cqc_api]
base_url = "{api_url}"
subscription_key = "sim-key"
requests_per_second = 0
[watch]
locations = ["{docs.HENLEY}"]
[schedule]
changes_every_seconds = 1
[logging]
format = "json"
[server]
host = "127.0.0.1"
port = 0
{server}
"""
    )
    return config


def health_port(log: Path) -> int:
    def port() -> int | None:
        for line in log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "health_listening":
                return int(json.loads(line)["port"])
        return None

    found: int = wait_for(port, what="the health port")
    return found


@pytest.mark.parametrize("enabled", [True, False], ids=["dashboard-on", "dashboard-off"])
def test_run_serves_the_dashboard_only_when_enabled(tmp_path: Path, enabled: bool) -> None:
    hashed = subprocess.run(
        [sys.executable, "-m", "monitor", "dashboard", "hash-password", "--stdin"],
        input="a long passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    server = (
        f'dashboard = true\ndashboard_auth = "basic"\ndashboard_users = {{ ops = "{hashed}" }}'
        if enabled
        else "dashboard = false"
    )
    sim = SimulatedCqc(Population.from_documents([docs.real(docs.HENLEY)]))
    with sim.serve() as api:
        config = run_config(tmp_path, api.base_url, server)
        log = tmp_path / "worker.log"
        args = ["--config", str(config), "run"]
        with process(args, tmp_path, log) as child:
            base = f"http://127.0.0.1:{health_port(log)}"
            http = client()
            assert http.get(base + "/healthz", timeout=10).json()["status"] == "ok"
            page = http.get(base + "/", auth=("ops", "a long passphrase"), timeout=10)
            if enabled:
                assert page.status_code == 200 and "<h1>Overview</h1>" in page.text
                assert http.get(base + "/", timeout=10).status_code == 401
                assert http.post(base + "/", timeout=10).status_code == 405
                assert http.get(base + "/readyz", timeout=10).status_code in (200, 503)
            else:
                assert page.status_code == 404 and page.json() == {"status": "not found"}
            assert stop(child) == 0


def _hang_up(port: int, request: bytes) -> None:
    """Send ``request`` and drop the connection at once with a reset, as a client that
    gives up (a closed tab, a probe's timeout) does, before the answer is read."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.sendall(request)


def test_clients_that_hang_up_leave_one_debug_line_and_no_traceback(tmp_path: Path) -> None:
    sim = SimulatedCqc(Population.from_documents([docs.real(docs.HENLEY)]))
    with sim.serve() as api:
        config = run_config(tmp_path, api.base_url, "dashboard = true")
        text = config.read_text().replace('format = "json"', 'format = "json"\nlevel = "debug"')
        config.write_text(text)
        log = tmp_path / "worker.log"
        with process(["--config", str(config), "run"], tmp_path, log) as child:
            port = health_port(log)
            for path in (
                "/metrics",
                "/healthz",
                "/readyz",
                "/",
                "/changes",
                "/static/dashboard.css",
            ):
                for _ in range(3):
                    _hang_up(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                    _hang_up(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())  # unfinished
            wait_for(lambda: "client_disconnected" in log.read_text(), what="a disconnect logged")
            # The server goes on answering.
            assert client().get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
            assert stop(child) == 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert not [line for line in lines if not line.startswith("{")], "only JSON lines on stderr"
    records = [json.loads(line) for line in lines]
    disconnects = [r for r in records if r["event"] == "client_disconnected"]
    assert disconnects and all(r["level"] == "debug" for r in disconnects)
    assert all("exception" not in r and "Traceback" not in json.dumps(r) for r in disconnects)
    assert {r["error"] for r in disconnects} <= {"BrokenPipeError", "ConnectionResetError"}


def test_the_standalone_dashboard_prints_no_traceback_for_a_hang_up(
    demo_database: str, tmp_path: Path
) -> None:
    args = ["dashboard", "--database", demo_database, "--port", "0"]
    log = tmp_path / "stderr.log"
    with process(args, tmp_path, log) as child:
        assert child.stdout is not None
        base = child.stdout.readline().split(": ", 1)[1].strip().rstrip("/")
        port = int(base.rsplit(":", 1)[1])
        for path in ("/", "/locations", "/static/dashboard.css"):
            for _ in range(3):
                _hang_up(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                _hang_up(port, f"GET {path} HTTP/1.1\r\n".encode())
        assert client().get(base + "/changes", timeout=10).status_code == 200
        assert stop(child) == 0
    assert "Traceback" not in log.read_text() and "Exception occurred" not in log.read_text()
