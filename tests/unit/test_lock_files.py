"""The lock files the image installs from agree with pyproject.toml: a requirement added or
tightened there without ``make lock`` fails here, on a laptop, before an image build would."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Each lock file, by the package extras it holds (the Dockerfile's EXTRAS build argument).
LOCKS = {
    "postgres": "requirements/postgres.txt",
    "postgres,apprise": "requirements/postgres-apprise.txt",
}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$")


def pins(path: Path) -> dict[str, Version]:
    """Package name -> pinned version; every pin must carry at least one hash."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = {}
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            follows = lines[number + 1] if number + 1 < len(lines) else ""
            assert follows.strip().startswith("--hash=sha256:"), f"{path.name}: {line} has no hash"
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def lock_path(extras: str) -> Path:
    return ROOT / LOCKS[extras]


def required(extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = [*project["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for extra in extras.split(","):
        texts += project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


@pytest.mark.parametrize("extras", LOCKS)
def test_every_requirement_is_pinned_at_a_version_it_allows(extras: str) -> None:
    locked = pins(lock_path(extras))
    for requirement in required(extras):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in {LOCKS[extras]}: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{LOCKS[extras]} pins {name}=={locked[name]}, outside {requirement}: run make lock"
        )


def test_the_apprise_lock_adds_to_the_postgres_lock_without_moving_its_pins() -> None:
    postgres, apprise = pins(lock_path("postgres")), pins(lock_path("postgres,apprise"))
    assert {name: apprise.get(name) for name in postgres} == postgres
    assert "apprise" in apprise and "apprise" not in postgres
    assert "uv" not in apprise and "pytest" not in apprise  # no dev tools in the image


def test_the_locks_say_how_they_are_made() -> None:
    for extras in LOCKS:
        assert "#    make lock\n" in lock_path(extras).read_text(encoding="utf-8")
