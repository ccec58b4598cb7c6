"""The built wheel works on its own: installed into a fresh virtual environment with its
dependencies, as ``pip install`` does for a user, it migrates a database and runs a check."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import clean_environment, write_config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def base_url() -> Iterator[str]:
    simulator = SimulatedCqc(
        Population.from_documents(docs.all_real().values()), subscription_key="sim-key"
    )
    with simulator.serve() as server:
        yield server.base_url


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in clean_environment().items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=environ,
        check=False,
    )


def test_the_wheel_installed_elsewhere_upgrades_a_database_and_checks(
    tmp_path: Path, base_url: str
) -> None:
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path, ROOT, cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("cqc_monitor-*.whl")
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    installed = run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    config = write_config(tmp_path, base_url)
    tool = venv / "bin" / "cqc-monitor"
    upgraded = run(tool, "--config", config, "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at revision" in upgraded.stdout
    checked = run(tool, "--config", config, "check", "--full", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "3 locations checked" in checked.stdout
    located = run(
        venv / "bin" / "python", "-c", "import monitor; print(monitor.__file__)", cwd=tmp_path
    )
    assert str(venv) in located.stdout  # the installed copy ran, not the checkout
