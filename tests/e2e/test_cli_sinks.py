"""A webhook retired with 410 Gone, seen by an operator: ``status`` and ``sinks`` say it is
disabled, later processes send it nothing, ``sinks enable`` brings its alerts back. A
``sinks test`` send is kept in the audit trail, marked as a test, and counts as no alert."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from monitor.sim import Population, SimulatedCqc
from monitor.store import migrate
from monitor.store.engine import make_engine
from tests.support import documents as docs
from tests.support.cli import run_cli as cli
from tests.support.cli import write_config
from tests.support.dashboard import client, serving
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[SimulatedCqc, WebhookReceiver, Path]]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook:
        sinks = f"""
[[sinks]]
name = "retired"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
[[sinks]]
name = "console"
type = "console"
events = ["registration_changed"]
"""
        config = write_config(tmp_path, server.base_url, locations=[docs.HENLEY], extra=sinks)
        yield simulator, hook, config


def test_a_410_disables_the_sink_until_sinks_enable_brings_its_alerts_back(
    setup: tuple[SimulatedCqc, WebhookReceiver, Path],
) -> None:
    simulator, hook, config = setup
    assert cli(config, "check", "--full").returncode == 0  # the silent baseline
    hook.respond(410, body=b"this endpoint was retired")
    simulator.set_rating(docs.HENLEY, "Overall", "Requires improvement", report_date="2026-11-20")
    assert cli(config, "check", "--full").returncode == 0
    assert len(hook.requests) == 1

    # Another process (a later check) sends nothing to the gone endpoint.
    simulator.set_rating(docs.HENLEY, "Safe", "Inadequate", report_date="2026-11-25")
    later = cli(config, "check", "--full")
    assert later.returncode == 0, later.stderr
    assert "0 sent" in later.stdout and len(hook.requests) == 1

    status = cli(config, "status")
    assert status.returncode == 1
    assert "sink 'retired' disabled since" in status.stdout
    assert "this endpoint was retired" in status.stdout
    report = json.loads(cli(config, "status", "--format", "json").stdout)
    assert [sink["name"] for sink in report["disabled_sinks"]] == ["retired"]

    listing = cli(config, "sinks")
    assert listing.returncode == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(cli(config, "sinks", "--format", "json").stdout)}
    assert rows["console"]["state"] == "enabled"
    dead = rows["retired"]["dead"]
    assert (rows["retired"]["type"], rows["retired"]["state"]) == ("webhook", "disabled")
    assert dead >= 2 and "disabled" in listing.stdout

    enabled = cli(config, "sinks", "enable", "retired")
    assert enabled.returncode == 0, enabled.stderr
    assert f"re-queued {dead} dead delivery(ies)" in enabled.stdout
    delivered = cli(config, "deliver")
    assert f"{dead} sent" in delivered.stdout
    assert len(hook.requests) == 1 + dead
    assert cli(config, "status").returncode == 0


def test_sinks_enable_names_what_it_cannot_enable(
    setup: tuple[SimulatedCqc, WebhookReceiver, Path],
) -> None:
    _, _, config = setup
    assert cli(config, "check").returncode == 0

    unknown = cli(config, "sinks", "enable", "pager")
    assert unknown.returncode == 2
    assert "no sink named 'pager' (configured: retired, console)" in unknown.stderr

    enabled = cli(config, "sinks", "enable", "retired")
    assert enabled.returncode == 0
    assert "sink 'retired' is not disabled: nothing to do" in enabled.stdout


@pytest.fixture
def tested(tmp_path: Path) -> Iterator[tuple[WebhookReceiver, SmtpServer, Path]]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook, SmtpServer() as smtp:
        sinks = f"""
[[sinks]]
name = "pager"
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
"""
        config = write_config(tmp_path, server.base_url, locations=[docs.HENLEY], extra=sinks)
        yield hook, smtp, config


def _json(config: Path, *args: str) -> list[dict[str, object]]:
    result = cli(config, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_sinks_test_sends_are_kept_as_tests_and_count_as_no_alert(
    tested: tuple[WebhookReceiver, SmtpServer, Path],
) -> None:
    hook, smtp, config = tested
    database = f"sqlite:///{config.parent / 'monitor.db'}"
    assert cli(config, "check", "--full").returncode == 0  # the silent baseline
    assert cli(config, "sinks", "test", "pager").returncode == 0
    assert cli(config, "sinks", "test", "mail").returncode == 0
    assert len(hook.wait_for(1)) == 1 and len(smtp.messages) == 1

    # The receiver fails, echoing the webhook secret: the stored error is masked.
    hook.respond(500, body=f"upstream rejected {SECRET}".encode())
    failed = cli(config, "sinks", "test", "pager")
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr

    tests = [row for row in _json(config, "alerts") if row["test"]]
    assert [(row["sink"], row["status"]) for row in tests] == [
        ("pager", "failed"),
        ("mail", "sent"),
        ("pager", "sent"),
    ]
    assert all(row["location_id"] == "1-TEST0000000" for row in tests)
    error = str(tests[0]["last_error"])
    assert "HTTP 500" in error and SECRET not in error
    assert tests[0]["next_attempt_at"] is None
    assert [row["sink"] for row in _json(config, "alerts", "--status", "failed")] == ["pager"]
    assert _json(config, "alerts", "--status", "dead") == []
    assert "test failed" in cli(config, "alerts").stdout

    sinks = {row["name"]: row for row in _json(config, "sinks")}
    assert str(sinks["pager"]["last_test"]).endswith(" failed")
    assert str(sinks["mail"]["last_test"]).endswith(" sent")
    assert (sinks["pager"]["failed"], sinks["pager"]["dead"]) == (0, 0)
    assert "LAST_TEST" in cli(config, "sinks").stdout

    # Nothing counts the tests as alerts: the dispatcher sends none again, status is healthy,
    # and changes lists no event.
    delivered = cli(config, "deliver")
    assert delivered.returncode == 0, delivered.stderr
    assert "0 sent" in delivered.stdout
    assert len(hook.requests) == 2 and len(smtp.messages) == 1
    status = cli(config, "status")
    assert status.returncode == 0, status.stdout
    assert _json(config, "changes") == []

    # The dashboard's Deliveries page says when each sink was last tested; the overview
    # counts no sample event.
    with serving(database) as base:
        deliveries = client().get(base + "/deliveries", timeout=10).text
        overview = client().get(base + "/", timeout=10).text
    sections = dict(re.findall(r'-title">([^<]+)</h2>(.*?)</section>', deliveries, flags=re.S))
    assert "<strong>failed</strong>: HTTP 500" in sections["pager"]
    assert SECRET not in deliveries
    assert re.search(r"Last test</dt><dd>[^<]+: sent</dd>", sections["mail"])
    assert "Example Care Home" not in overview and "1-TEST0000000" not in overview


def test_sinks_test_brings_the_database_to_head_unless_no_migrate(
    tested: tuple[WebhookReceiver, SmtpServer, Path],
) -> None:
    hook, _, config = tested
    assert cli(config, "check").returncode == 0
    engine = make_engine(f"sqlite:///{config.parent / 'monitor.db'}")
    command.downgrade(migrate.alembic_config(engine), "0013")

    refused = cli(config, "sinks", "test", "pager", "--no-migrate")
    assert refused.returncode == 1 and "run cqc-monitor db upgrade" in refused.stderr
    assert hook.requests == [] and migrate.current_revision(engine) == "0013"

    assert cli(config, "sinks", "test", "pager").returncode == 0
    assert migrate.is_at_head(engine)
    engine.dispose()
    assert [row["status"] for row in _json(config, "alerts") if row["test"]] == ["sent"]
