"""Dockerfile, .dockerignore and docker-compose.yml agree with the code they package.

These read the files, so they hold on a laptop without Docker; ``make image-test`` builds
the image and runs it (tests/image).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import click
import yaml

from monitor.cli.main import cli
from monitor.settings.sections import ServerSettings

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


# The Dockerfile with its continuation lines joined.
JOINED = re.sub(r"\\\n\s*", " ", DOCKERFILE)


def instruction(name: str) -> str:
    """The (last) Dockerfile instruction ``name``."""
    found = re.findall(rf"^{name}\s+(.+)$", JOINED, flags=re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return str(found[-1])


def lock_for(extras: str) -> Path:
    """The lock file the Dockerfile installs for an EXTRAS build argument."""
    return ROOT / "requirements" / f"{extras.replace(',', '-')}.txt"


def test_the_image_installs_the_locked_dependencies_then_the_project_without_any() -> None:
    assert 'lock="/tmp/requirements/$(echo "$EXTRAS" | tr , -).txt"' in JOINED
    assert 'pip install --no-cache-dir --require-hashes -r "$lock"' in JOINED
    assert "pip install --no-cache-dir --no-deps --no-build-isolation /tmp/src" in JOINED
    assert " -e " not in JOINED and "pip check" in JOINED
    # The default of the Dockerfile and of docker-compose.yml, and the choice with the chat
    # sinks that both document, each have their lock.
    default = re.search(r'^ARG EXTRAS="([^"]+)"$', DOCKERFILE, flags=re.MULTILINE)
    assert default and default[1] == "postgres"
    compose = re.search(r"EXTRAS: \$\{MONITOR_EXTRAS:-([^}]+)\}", COMPOSE)
    assert compose and compose[1] == "postgres"
    assert "EXTRAS=postgres,apprise" in DOCKERFILE and "EXTRAS=postgres,apprise" in COMPOSE
    for extras in ("postgres", "postgres,apprise"):
        assert lock_for(extras).is_file(), f"no lock for EXTRAS={extras}"
    # `make` still installs the project editable, with the dev tools.
    assert "-e '.[dev,postgres]'" in (ROOT / "Makefile").read_text(encoding="utf-8")


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
    assert {"requirements", "pyproject.toml", readme, "monitor"} <= copied
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
    assert json.loads(instruction("CMD")) == ["run"]
    assert "run" in cli.list_commands(click.Context(cli))


def test_the_health_check_asks_the_configured_port_through_the_healthcheck_command() -> None:
    port = ServerSettings().port
    assert f"EXPOSE {port}" in DOCKERFILE and f'"{port}:{port}"' in COMPOSE
    command = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1])
    assert command == ["cqc-monitor", "healthcheck"]
    assert "healthcheck" in cli.list_commands(click.Context(cli))
    timeout = re.search(r"--timeout=(\d+)s", instruction("HEALTHCHECK"))
    assert timeout and int(timeout[1]) > 3  # longer than the command's own (3 s) timeout


def test_no_anonymous_volume_for_a_worker_on_postgresql() -> None:
    assert not re.search(r"^VOLUME", DOCKERFILE, flags=re.MULTILINE)
    services = yaml.safe_load(COMPOSE)["services"]
    for name in ("migrate", "worker"):
        service = services[name]
        assert service["environment"]["MONITOR_DATABASE_URL"].startswith("postgresql+psycopg:")
        targets = [volume.split(":")[1] for volume in service["volumes"]]
        assert targets == ["/config"], f"{name} mounts {targets}"
    assert "-v cqc-data:/data" in DOCKERFILE  # SQLite in the image: the volume is named


def test_compose_runs_migrations_once_before_the_worker() -> None:
    assert re.search(r'command: \["db", "upgrade"\]', COMPOSE)
    db = cli.get_command(click.Context(cli), "db")
    assert isinstance(db, click.Group) and "upgrade" in db.commands
    worker = COMPOSE.split("\n  worker:\n", 1)[1]
    assert "condition: service_completed_successfully" in worker
    migrate = COMPOSE.split("\n  migrate:\n", 1)[1].split("\n  worker:\n", 1)[0]
    assert "condition: service_healthy" in migrate
    assert "image: postgres:16" in COMPOSE and "pg_isready" in COMPOSE
    assert "./config:/config:ro" in COMPOSE and "env_file: .env" in COMPOSE
