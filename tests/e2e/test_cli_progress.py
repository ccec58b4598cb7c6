"""``check``'s progress without a terminal: ``cycle_progress`` log lines, never a bar."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import clean_environment, command, run_cli, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def base_url() -> Iterator[str]:
    simulator = SimulatedCqc(
        Population.from_documents(docs.all_real().values()), subscription_key="sim-key"
    )
    with simulator.serve() as server:
        yield server.base_url


def test_check_without_a_terminal_logs_progress_lines(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url, extra="progress_seconds = 0")
    result = run_cli(config, "check", "--full")
    assert result.returncode == 0, result.stderr

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (progress,) = [line for line in lines if line["event"] == "cycle_progress"]
    assert (progress["kind"], progress["done"], progress["total"]) == ("full", 3, 3)
    assert progress["errors"] == 0 and {"rate", "eta_s"} <= set(progress)
    assert "━" not in result.stderr and "\r" not in result.stderr


def test_check_on_a_terminal_draws_a_bar_and_leaves_the_summary(
    tmp_path: Path, base_url: str
) -> None:
    config = write_config(tmp_path, base_url)
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            command(config, "check", "--full"),
            stdout=subprocess.PIPE,
            stderr=follower,
            env=clean_environment({"COLUMNS": "120", "TERM": "xterm"}),
            timeout=120,
            check=False,
        )
        os.close(follower)
        follower = -1
        drawn = _read_all(leader)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert process.returncode == 0
    assert b"3 locations checked" in process.stdout
    assert b"full cycle" in drawn and b"cycle_progress" not in drawn


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed: Linux reports EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
