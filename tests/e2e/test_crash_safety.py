"""A worker killed with SIGKILL at the worst moments loses no alert (SPEC §6 outbox)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import clean_environment, command, write_config
from tests.support.cli import run_cli as cli
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# Runs the real review cycle, reports that its transaction committed, then waits to be killed.
REVIEW_THEN_HANG = """
import sys, time
from monitor.bootstrap import build_app
from monitor.settings.model import load_settings
app = build_app(load_settings(sys.argv[1]))
app.prepare_database()
report = app.review().run("full")
print("committed", len(report.events), flush=True)
time.sleep(600)
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, WebhookReceiver, Path]]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook:
        sink = f"""
[[sinks]]
name = "hook"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
timeout_seconds = 60
"""
        config = write_config(tmp_path, server.base_url, extra=sink)
        assert cli(config, "check", "--full").returncode == 0  # the silent baseline
        simulator.set_rating(docs.HENLEY, "Overall", "Inadequate", report_date="2026-11-20")
        simulator.deregister(docs.LUCERNE, "2026-11-25")
        yield simulator, hook, config


def test_killed_after_commit_before_delivery_then_restarted_delivers_everything(
    world: tuple[SimulatedCqc, WebhookReceiver, Path],
) -> None:
    _, hook, config = world
    worker = subprocess.Popen(
        [sys.executable, "-c", REVIEW_THEN_HANG, str(config)],
        stdout=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    while line and not line.startswith("committed"):  # log lines come first
        line = worker.stdout.readline()
    assert line.startswith("committed 3"), line  # rating, report and registration events
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    worker.stdout.close()
    assert hook.requests == []

    restarted = cli(config, "deliver")
    assert restarted.returncode == 0, restarted.stderr
    requests = hook.wait_for(3)
    assert len(requests) == 3
    assert all(verify_signature(SECRET, r.headers, r.body) for r in requests)
    assert {r.json()["type"] for r in requests} == {
        "rating_changed",
        "new_inspection",
        "registration_changed",
    }
    assert "3 sent" in restarted.stdout


def test_killed_after_send_before_marking_sent_resends_with_the_same_id(
    world: tuple[SimulatedCqc, WebhookReceiver, Path],
) -> None:
    _, hook, config = world
    assert cli(config, "check", "--full", "--no-deliver").returncode == 0
    hook.respond(200, delay=30)  # the first POST is received, but its answer never arrives
    worker = subprocess.Popen(
        command(config, "deliver"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    deadline = time.monotonic() + 30
    while not hook.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(hook.requests) == 1
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    restarted = cli(config, "deliver")
    assert restarted.returncode == 0, restarted.stderr
    requests = hook.wait_for(4)
    per_id = Counter(r.headers["webhook-id"] for r in requests)
    first_id = requests[0].headers["webhook-id"]
    assert per_id[first_id] == 2  # re-sent with the same id; the receiver can drop it
    assert sorted(per_id.values()) == [1, 1, 2]  # nothing else is duplicated
    assert cli(config, "deliver").stdout.startswith("alerts: 0 sent")
