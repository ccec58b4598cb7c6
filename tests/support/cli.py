"""Running ``cqc-monitor`` the way a user does: a subprocess with a config file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support import documents as docs

DEFAULT_LOCATIONS = (docs.HENLEY, docs.LUCERNE, docs.ALLIED)


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without MONITOR_* settings that would leak in."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(extra or {})
    return environ


ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` from the repository root, as a user runs a benchmark; the
    run must succeed (its stderr's end is the failure message)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


def run_cli(
    config: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(config, *args),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(env),
        check=False,
        cwd=cwd,
    )


def write_config(
    folder: Path,
    base_url: str,
    *,
    key: str = "sim-key",
    locations: Sequence[str] = DEFAULT_LOCATIONS,
    extra: str = "",
    database_url: str | None = None,
) -> Path:
    """A config against a local simulated API with a SQLite file in ``folder`` (or the
    database at ``database_url``)."""
    watched = ", ".join(f'"{location}"' for location in locations)
    config = folder / "monitor.toml"
    config.write_text(
        f"""
[database]
url = "{database_url or f"sqlite:///{folder / 'monitor.db'}"}"

[sources.cqc_api]
base_url = "{base_url}"
subscription_key = "{key}"
requests_per_second = 0
timeout_seconds = 5

[watch]
locations = [{watched}]

[logging]
format = "json"
{extra}
"""
    )
    return config
