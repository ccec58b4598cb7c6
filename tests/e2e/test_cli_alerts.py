"""``check`` delivers, ``alerts`` shows what was sent, ``sinks test`` proves a sink works."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import run_cli as cli
from tests.support.cli import write_config
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, WebhookReceiver, SmtpServer, Path]]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook, SmtpServer() as smtp:
        sinks = f"""
[[sinks]]
name = "hook"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
[[sinks]]
name = "mail"
type = "email"
host = "{smtp.host}"
port = {smtp.port}
security = "none"
from = "cqc-monitor@example.org"
to = ["compliance@example.org"]
events = ["rating_changed"]
"""
        locations = [docs.HENLEY, docs.LUCERNE]
        config = write_config(tmp_path, server.base_url, locations=locations, extra=sinks)
        yield simulator, hook, smtp, config


def test_check_delivers_and_alerts_lists_the_deliveries(
    setup: tuple[SimulatedCqc, WebhookReceiver, SmtpServer, Path],
) -> None:
    simulator, hook, smtp, config = setup
    assert cli(config, "check", "--full").returncode == 0
    simulator.set_ratings(
        docs.HENLEY,
        {"Overall": "Requires improvement", "Safe": "Requires improvement"},
        report_date="2026-11-20",
    )
    result = cli(config, "check", "--full")
    assert result.returncode == 0, result.stderr
    assert "alerts: 3 sent, 0 to retry, 0 dead" in result.stdout

    (message,) = smtp.messages
    assert message["Subject"] == "[CQC] CRITICAL Henley House: Overall Good → Requires improvement"
    assert len(hook.wait_for(2)) == 2

    deliveries = json.loads(cli(config, "alerts", "--format", "json").stdout)
    assert sorted((d["sink"], d["event_type"], d["status"]) for d in deliveries) == [
        ("hook", "new_inspection", "sent"),
        ("hook", "rating_changed", "sent"),
        ("mail", "rating_changed", "sent"),
    ]
    assert json.loads(cli(config, "alerts", "--status", "failed", "--format", "json").stdout) == []
    history = json.loads(cli(config, "history", docs.HENLEY, "--format", "json").stdout)
    assert sorted(h["sink"] for h in history if h["kind"] == "delivery") == ["hook", "hook", "mail"]
    events = {h["event"]["id"]: h["event"]["type"] for h in history if h["kind"] == "event"}
    for delivery in (h for h in history if h["kind"] == "delivery"):
        assert events[delivery["event_id"]] == delivery["event_type"]
    table = cli(config, "history", docs.HENLEY).stdout
    assert "rating_changed evt_" in table and "to mail: sent" in table
    flat = cli(config, "history", docs.HENLEY, "--format", "csv").stdout.splitlines()[1:]
    order = [(h["at"], h["kind"]) for h in history]
    assert [tuple(line.split(",")[:2]) for line in flat] == order


def test_sinks_test_sends_a_sample_and_reports_the_outcome(
    setup: tuple[SimulatedCqc, WebhookReceiver, SmtpServer, Path],
) -> None:
    _, hook, smtp, config = setup
    ok = cli(config, "sinks", "test", "hook")
    assert ok.returncode == 0, ok.stderr
    (request,) = hook.wait_for(1)
    assert verify_signature(SECRET, request.headers, request.body)
    body = request.json()
    assert body["test"] is True and body["data"]["test"] is True
    assert body["data"]["summary"].startswith("[TEST] ")
    assert "not a real service" in body["data"]["location"]["name"]
    assert body["data"]["location"]["id"] == "1-TEST0000000"

    assert cli(config, "sinks", "test", "mail").returncode == 0
    assert smtp.messages[0]["Subject"].startswith("[TEST] [CQC] CRITICAL Example Care Home")

    hook.respond(500)
    failed = cli(config, "sinks", "test", "hook")
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr

    missing = cli(config, "sinks", "test", "pager")
    assert missing.returncode == 2 and "no sink named 'pager'" in missing.stderr


def test_sinks_test_gives_up_on_a_receiver_that_dribbles_its_answer(tmp_path: Path) -> None:
    with WebhookReceiver() as hook:
        hook.respond(200, dribble=0.05)
        sinks = f"""
[[sinks]]
name = "hook"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
timeout_seconds = 5
deadline_seconds = 1
"""
        config = write_config(tmp_path, "http://127.0.0.1:9/public/v1", extra=sinks)
        result = cli(config, "sinks", "test", "hook")
    assert result.returncode == 1
    assert "no complete answer within the 1s deadline" in result.stderr
