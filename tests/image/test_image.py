"""The built image, run the way an operator runs it. ``make image-test`` builds it and runs
this module; plain ``pytest`` and ``make test`` leave it out (it needs Docker).

Against the simulated CQC API on this machine's loopback (``--network host``), with a config
mounted at /config and the subscription key in the environment: ``config check``;
``check --full`` into a named /data volume; ``run`` until Docker reports it healthy, as uid
10001; ``docker stop`` ends it with exit status 0 inside the grace period; the database file
in the volume belongs to 10001 and only its owner can read it.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import DEFAULT_LOCATIONS

IMAGE = os.environ.get("MONITOR_TEST_IMAGE", "cqc-monitor:test")
UID = "10001"
# Generous: a loaded CI machine starts Python in a container slowly.
HEALTHY_WITHIN = 180.0
# `run --grace` (the [schedule] grace_seconds default) is 30 s; docker stop waits longer
# before SIGKILL, as docker-compose.yml's stop_grace_period does, so a kill shows as 137.
GRACE, STOP_TIMEOUT = 30.0, 45


def docker(
    *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, failed(result)
    return result


def failed(result: subprocess.CompletedProcess[str], logs_of: str = "") -> str:
    """What an operator would read to see why a step failed."""
    command = shlex.join(str(arg) for arg in result.args)
    text = f"`{command}` exited {result.returncode}\n"
    text += f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    if logs_of:
        logs = docker("logs", "--tail", "40", logs_of, check=False)
        text += f"\ncontainer logs:\n{logs.stdout}{logs.stderr}"
    return text


def inspect(container: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(docker("inspect", container).stdout)
    return data[0]


@pytest.fixture(scope="module", autouse=True)
def image() -> str:
    if docker("info", check=False).returncode != 0:
        pytest.fail("Docker is not running (on this machine: ../shared/tools/docker-here.sh)")
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.fail(f"no image {IMAGE}: build it first (make image)")
    return IMAGE


@pytest.fixture(scope="module")
def name() -> str:
    """A prefix for this run's containers and volume, so that parallel runs do not meet."""
    return f"cqc-image-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    simulator = SimulatedCqc(
        Population.from_documents(docs.all_real().values()), subscription_key="sim-key"
    )
    with simulator.serve() as server:
        yield server.base_url


@pytest.fixture(scope="module")
def port() -> int:
    """A free port for the worker's health server: not 9108, so the image must follow it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, base_url: str, port: int) -> Path:
    """A folder with monitor.toml that the container's user (10001) can read."""
    folder = tmp_path_factory.mktemp("config")
    watched = ", ".join(f'"{location}"' for location in DEFAULT_LOCATIONS)
    (folder / "monitor.toml").write_text(
        f"""
# No [database]: the image's default, sqlite:///data/monitor.db, the volume.
[sources.cqc_api]
base_url = "{base_url}"
subscription_key = "${{CQC_SUBSCRIPTION_KEY}}"
requests_per_second = 0
timeout_seconds = 5

[watch]
locations = [{watched}]

[server]
port = {port}

[logging]
format = "json"
""",
        encoding="utf-8",
    )
    folder.chmod(0o755)
    (folder / "monitor.toml").chmod(0o644)
    return folder


@pytest.fixture(scope="module")
def volume(name: str) -> Iterator[str]:
    docker("volume", "create", f"{name}-data")
    yield f"{name}-data"
    docker("volume", "rm", "--force", f"{name}-data", check=False)


def run_args(config: Path, volume: str | None = None) -> list[str]:
    """``docker run`` options as an operator gives them: network, config, secret, data."""
    args = ["--network", "host", "-v", f"{config}:/config:ro", "-e", "CQC_SUBSCRIPTION_KEY=sim-key"]
    return [*args, "-v", f"{volume}:/data"] if volume else args


@pytest.fixture(scope="module")
def checked(config: Path, volume: str) -> subprocess.CompletedProcess[str]:
    """``check --full`` run once into the volume: the baselines the worker then starts from."""
    return docker("run", "--rm", *run_args(config, volume), IMAGE, "check", "--full", check=False)


@pytest.fixture(scope="module")
def worker(name: str, config: Path, volume: str, checked: Any) -> Iterator[str]:
    """``run`` detached, once Docker reports it healthy."""
    container = f"{name}-worker"
    since = str(int(time.time()) - 1)
    # The image's health check, asked every 2 s instead of every 30 s so the test does not
    # wait half a minute for the first answer; its command, timeout and retries stay.
    started = docker(
        "run", "--detach", "--name", container, "--health-interval", "2s",
        *run_args(config, volume), IMAGE, check=False,
    )  # fmt: skip
    try:
        assert started.returncode == 0, failed(started)
        wait_healthy(container, since)
        yield container
    finally:
        docker("rm", "--force", "--volumes", container, check=False)


def wait_healthy(container: str, since: str) -> None:
    """Until Docker's event stream says healthy; unhealthy, or dying first, fails."""
    until = str(int(time.time() + HEALTHY_WITHIN))
    events = ["docker", "events", "--since", since, "--until", until, "--format", "{{.Status}}"]
    for wanted in (f"container={container}", "event=health_status", "event=die"):
        events += ["--filter", wanted]
    with subprocess.Popen(events, stdout=subprocess.PIPE, text=True) as stream:
        assert stream.stdout is not None
        for line in stream.stdout:  # the stream ends at `until`
            if line.strip() in ("health_status: healthy", "health_status: unhealthy", "die"):
                stream.terminate()
                break
    state = inspect(container)["State"]
    health = state.get("Health") or {}
    if health.get("Status") == "healthy":
        return
    if state["Status"] != "running":
        why = f"the worker stopped (exit {state['ExitCode']}) before it was healthy"
    elif health.get("Status") == "unhealthy":
        why = "Docker reports the worker unhealthy"
    else:
        why = f"the worker is not healthy within {HEALTHY_WITHIN:g} s"
    # The last line each of the last health checks printed: the reason, or a traceback's end.
    checks = [(c["ExitCode"], c["Output"].strip().splitlines()[-1:]) for c in health.get("Log", [])]
    logs = docker("logs", "--tail", "40", container, check=False)
    pytest.fail(
        f"{why}; the last health checks (exit, output): {checks[-3:]}\n"
        f"container logs:\n{logs.stdout}{logs.stderr}"
    )


def test_a_container_without_mounts_gets_no_anonymous_volume(name: str) -> None:
    # PostgreSQL deployments mount nothing at /data, and nothing should appear there.
    container = f"{name}-bare"
    docker("create", "--name", container, IMAGE, "config", "check")
    try:
        assert inspect(container)["Mounts"] == []
    finally:
        docker("rm", "--volumes", container, check=False)


def test_config_check_validates_the_mounted_config(config: Path, base_url: str) -> None:
    result = docker("run", "--rm", *run_args(config), IMAGE, "config", "check", check=False)
    assert result.returncode == 0, failed(result)
    assert result.stdout.startswith("# /config/monitor.toml: valid")
    resolved = json.loads(result.stdout.split("\n", 1)[1])
    assert resolved["sources"]["cqc_api"]["base_url"] == base_url
    assert "sim-key" not in result.stdout  # the secret from the environment is masked


def test_check_full_stores_baselines_in_the_data_volume(
    checked: subprocess.CompletedProcess[str],
) -> None:
    assert checked.returncode == 0, failed(checked)
    assert f"{len(DEFAULT_LOCATIONS)} locations checked" in checked.stdout


def test_run_becomes_healthy_on_the_configured_port_as_uid_10001(worker: str, port: int) -> None:
    health = inspect(worker)["State"]["Health"]
    assert health["Status"] == "healthy"
    assert health["Log"][-1]["ExitCode"] == 0
    assert health["Log"][-1]["Output"].startswith(f"healthy: http://127.0.0.1:{port}/healthz ok")
    processes = docker("top", worker, "-o", "pid,uid,args").stdout.splitlines()[1:]
    assert processes, "no process in the container"
    for line in processes:
        assert line.split()[1] == UID, f"a process runs as another user: {line}"


def test_docker_stop_ends_the_worker_cleanly_within_the_grace_period(worker: str) -> None:
    started = time.monotonic()
    stopped = docker("stop", "--time", str(STOP_TIMEOUT), worker, timeout=STOP_TIMEOUT + 60)
    took = time.monotonic() - started
    state = inspect(worker)["State"]
    code = state["ExitCode"]
    assert code == 0, (
        f"the worker exited {code} after docker stop (137: killed when the {STOP_TIMEOUT} s "
        f"stop timeout ran out)\n{failed(stopped, logs_of=worker)}"
    )
    assert took < GRACE, f"docker stop took {took:.1f} s, the grace period is {GRACE:g} s"
    logs = docker("logs", worker)
    assert '"event": "worker_stopped"' in logs.stdout + logs.stderr  # its logs go to stderr


def test_the_database_in_the_volume_is_the_workers_alone(
    volume: str, checked: subprocess.CompletedProcess[str]
) -> None:
    assert checked.returncode == 0, failed(checked)
    # As the image's user: what the worker wrote, with its owner and mode.
    find = ["/data", "-mindepth", "1", "-printf", "%U %m %p\n"]
    listing = docker(
        "run", "--rm", "-v", f"{volume}:/data", "--entrypoint", "find", IMAGE, *find
    ).stdout.splitlines()
    files = {path: (owner, int(mode, 8)) for owner, mode, path in map(str.split, listing)}
    assert "/data/monitor.db" in files, f"no database in the volume: {listing}"
    for path, (owner, mode) in files.items():
        assert owner == UID, f"{path} belongs to uid {owner}"
        assert not mode & 0o004, f"{path} is readable by everyone ({mode:o})"
