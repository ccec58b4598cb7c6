"""``cqc-monitor db upgrade`` as processes an operator (or a container orchestrator) starts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from monitor.store import migrate
from monitor.store.engine import make_engine
from tests.support.cli import clean_environment, command, write_config

pytestmark = pytest.mark.slow


# Three processes race only while their imports end together: a few rounds, each on a new
# file, make the race likely on any machine.
ROUNDS = 4


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_three_upgrades_at_once_on_a_new_sqlite_file_all_succeed(
    tmp_path: Path, round_: int
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/unused")
    upgrades = [
        subprocess.Popen(
            command(config, "db", "upgrade"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(),
        )
        for _ in range(3)
    ]
    results = [(u.wait(timeout=120), *u.communicate(timeout=120)) for u in upgrades]
    assert [code for code, _, _ in results] == [0, 0, 0], [err[-800:] for _, _, err in results]
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        head = migrate.head_revision(engine)
        assert migrate.current_revision(engine) == head
        assert all(out.strip() == f"database at revision {head}" for _, out, _ in results)
    finally:
        engine.dispose()
