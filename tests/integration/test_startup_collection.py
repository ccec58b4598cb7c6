"""The garbage collector waits while a command starts up, and is back for the work itself.

``cqc-monitor`` defers collection at its entry point; the composition root and the dashboard's
server resume it. A long-running command (``run``, ``dashboard``) must never be left without
it: a worker that runs for months would keep every reference cycle it ever made.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import defer_collection, resume_collection
from monitor.cli import dashboard
from monitor.cli.main import main
from monitor.web.serving import BackgroundServer
from tests.support.apps import app_for, settings_for


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    """Whatever a test does, the test process gets its collector back as it was."""
    enabled = gc.isenabled()
    yield
    resume_collection()
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_program_defers_collection_before_the_command_runs() -> None:
    """``cqc-monitor`` (``console``), with its command replaced by a report of the collector."""
    probe = (
        "import gc, monitor.cli.main as cli\n"
        "cli.main = lambda: print('collector on' if gc.isenabled() else 'collector off')\n"
        "cli.console()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "collector off"


def test_a_deferred_collector_is_off_until_resumed_then_leaves_start_up_alone() -> None:
    gc.unfreeze()
    defer_collection()
    assert not gc.isenabled()
    start_up = [[index] for index in range(10)]  # stand-ins for what imports make
    assert all(gc.is_tracked(made) for made in start_up)
    resume_collection()
    assert gc.isenabled()
    # Out of later collections' sight: at least these ten are frozen.
    assert gc.get_freeze_count() >= len(start_up)


def test_resuming_what_was_not_deferred_changes_nothing() -> None:
    frozen = gc.get_freeze_count()
    resume_collection()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    defer_collection()
    resume_collection()
    assert not gc.isenabled()


def test_building_the_application_brings_the_collector_back(tmp_path: Path) -> None:
    """What ``check``, ``run``, ``deliver`` and the other commands that work build first."""
    defer_collection()
    app_for(settings_for(f"sqlite:///{tmp_path / 'monitor.db'}"))
    assert gc.isenabled()


def test_the_dashboard_serves_with_the_collector_back(
    demo_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serving: list[bool] = []

    def serve_and_stop(server: BackgroundServer) -> None:  # as Ctrl-C would, at once
        serving.append(gc.isenabled())
        server.start()
        server.stop()

    monkeypatch.setattr(dashboard, "_serve", serve_and_stop)
    # The command configures logging for a process of its own; this test shares pytest's.
    monkeypatch.setattr("monitor.logs.configure_logging", lambda *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)  # no configuration file where the default looks
    defer_collection()
    with pytest.raises(SystemExit) as ended:
        main(["dashboard", "--database", demo_database, "--host", "127.0.0.1", "--port", "0"])
    assert ended.value.code == 0
    assert serving == [True]
