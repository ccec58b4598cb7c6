"""Dockerfile, .dockerignore and docker-compose.yml agree with the code they package.

No container engine runs in the test environment, so these read the files; the health check
command itself is run against a real health server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import cli
from monitor.runtime.health import HealthServer
from monitor.settings import ServerSettings

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def instruction(name: str) -> str:
    """The (last) Dockerfile instruction ``name``, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = re.findall(rf"^{name}\s+(.+)$", joined, flags=re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return str(found[-1])


def pip_install(text: str) -> str:
    """The arguments of the ``pip install`` that installs this project."""
    line = next(line for line in text.splitlines() if re.search(r"pip install .*-e ", line))
    return line.split("pip install", 1)[1]


def test_the_image_installs_the_package_as_make_does() -> None:
    make = pip_install((ROOT / "Makefile").read_text(encoding="utf-8"))
    docker = pip_install(DOCKERFILE)
    # Both install this project editable from its metadata with PostgreSQL's driver (the
    # postgres extra); the image without dev tools.
    assert re.search(r"-e '\.\[dev,postgres\]'", make)
    assert re.search(r'-e "\.\$\{EXTRAS:\+\[\$EXTRAS\]\}"', docker)
    assert 'ARG EXTRAS="postgres"' in DOCKERFILE
    assert "requirements" not in DOCKERFILE and "dev" not in docker


def test_everything_the_install_needs_is_copied_and_not_ignored() -> None:
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "readme"
    ]
    copied = {
        source.rstrip("/")
        for line in re.findall(r"^COPY\s+(.+)$", DOCKERFILE, flags=re.MULTILINE)
        for source in line.split()[:-1]
    }
    # The migrations are package data, inside monitor/.
    assert {"pyproject.toml", readme, "monitor"} <= copied
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    assert copied <= allowed


def test_non_root_numeric_user_and_exec_form_entrypoint_under_an_init() -> None:
    user, group = instruction("USER").split(":")
    assert int(user) >= 1000 and int(group) >= 1000
    entrypoint = json.loads(instruction("ENTRYPOINT"))
    assert entrypoint[0].endswith("/tini") and entrypoint[1:] == ["--", "cqc-monitor"]
    assert json.loads(instruction("CMD")) == ["run"] and "run" in cli.commands


def _probe(ok: bool) -> Any:
    return lambda: (ok, {"status": "ok" if ok else "stale"})


@pytest.fixture(params=[True, False], ids=["alive", "stale"])
def health(request: pytest.FixtureRequest) -> Iterator[tuple[HealthServer, bool]]:
    server = HealthServer(
        "127.0.0.1", 0, alive=_probe(request.param), ready=_probe(True), metrics=lambda: b""
    )
    server.start()
    yield server, request.param
    server.stop()


def test_the_healthcheck_command_asks_healthz(health: tuple[HealthServer, bool]) -> None:
    server, alive = health
    port = ServerSettings().port
    assert f"EXPOSE {port}" in DOCKERFILE and f'"{port}:{port}"' in COMPOSE
    command = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1])
    assert command[0] == "python" and f"127.0.0.1:{port}/healthz" in command[-1]
    script = command[-1].replace(f":{port}/", f":{server.port}/")
    result = subprocess.run(
        [sys.executable, *command[1:-1], script], capture_output=True, timeout=30, check=False
    )
    assert (result.returncode == 0) is alive


def test_compose_runs_migrations_once_before_the_worker() -> None:
    assert re.search(r'command: \["db", "upgrade"\]', COMPOSE)
    assert "upgrade" in cli.commands["db"].commands  # type: ignore[attr-defined]
    worker = COMPOSE.split("\n  worker:\n", 1)[1]
    assert "condition: service_completed_successfully" in worker
    migrate = COMPOSE.split("\n  migrate:\n", 1)[1].split("\n  worker:\n", 1)[0]
    assert "condition: service_healthy" in migrate
    assert "image: postgres:16" in COMPOSE and "pg_isready" in COMPOSE
    assert "./config:/config:ro" in COMPOSE and "env_file: .env" in COMPOSE
