"""Digests as an operator meets them: ``check``, ``status``, ``alerts`` and ``digest send`` as
processes against the simulated CQC API, a real SMTP server and a real webhook receiver, on
SQLite and PostgreSQL; a ``digest send`` killed between sending and recording; two ``run``
replicas reaching the same window."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from monitor.sim import Population, SimulatedCqc
from monitor.store.engine import make_engine
from monitor.store.tables import Delivery, DigestRecord
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.support import documents as docs
from tests.support.cli import clean_environment, command, write_config
from tests.support.cli import run_cli as cli
from tests.support.replicas import start_replica
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_for
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.slow
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOCATIONS = (docs.HENLEY, docs.LUCERNE, docs.ALLIED)
NAMES = ("Henley House", "Lucerne House", "Allied Healthcare Bournemouth")


@dataclass
class Setup:
    sim: SimulatedCqc
    hook: WebhookReceiver
    smtp: SmtpServer
    config: Path


def sinks(hook: WebhookReceiver, smtp: SmtpServer | None, digest: str = "0 8 * * 1") -> str:
    text = f"""
[[sinks]]
name = "hook"
type = "webhook"
url = "{hook.url}"
secret = "{SECRET}"
digest = "{digest}"
timeout_seconds = 60
"""
    if smtp is not None:
        text += f"""
[[sinks]]
name = "mail"
type = "email"
host = "{smtp.host}"
port = {smtp.port}
security = "none"
from = "cqc-monitor@example.org"
to = ["quality@example.org"]
digest = "{digest}"
"""
    return text


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> Iterator[Setup]:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook, SmtpServer() as smtp:
        config = write_config(
            tmp_path, server.base_url, extra=sinks(hook, smtp), database_url=database_url
        )
        assert cli(config, "check", "--full").returncode == 0  # the silent baseline
        yield Setup(simulator, hook, smtp, config)


def new_reports(sim: SimulatedCqc, *locations: str) -> None:
    for number, location in enumerate(locations, start=1):
        sim.add_report(location, report_date=f"2026-11-2{number}", first_visit_date="2026-10-01")


def test_weekly_digests_send_critical_at_once_then_the_rest_as_one_message_per_sink(
    setup: Setup,
) -> None:
    sim, hook, smtp, config = setup.sim, setup.hook, setup.smtp, setup.config
    sim.deregister(docs.LUCERNE, "2026-11-25")
    new_reports(sim, *LOCATIONS)

    checked = cli(config, "check", "--full")

    assert checked.returncode == 0, checked.stderr
    assert "alerts: 2 sent, 0 to retry, 0 dead" in checked.stdout  # the critical change only
    (alert,) = smtp.messages
    assert alert["Subject"] == "[CQC] CRITICAL Lucerne House: deregistered"
    (post,) = hook.wait_for(1)
    assert post.json()["type"] == "registration_changed"
    status = cli(config, "status", "--format", "json")
    held = json.loads(status.stdout)["held"]
    assert {sink: waiting["deliveries"] for sink, waiting in held.items()} == {
        "hook": 3,
        "mail": 3,
    }
    assert "3 held for digest (next window " in cli(config, "status").stdout
    listed = json.loads(cli(config, "alerts", "--status", "held", "--format", "json").stdout)
    assert sorted((row["sink"], row["event_type"]) for row in listed) == sorted(
        [(sink, "new_inspection") for sink in ("hook", "mail") for _ in range(3)]
    )
    window = datetime.fromisoformat(held["hook"]["window"])
    assert {datetime.fromisoformat(row["next_attempt_at"]) for row in listed} == {window}
    local = window.astimezone(ZoneInfo("Europe/London"))
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)  # the next Monday 08:00
    assert "held for digest" in cli(config, "alerts").stdout

    sent = cli(config, "digest", "send")

    assert sent.returncode == 0, sent.stderr
    assert sorted(line.split(":")[0] for line in sent.stdout.splitlines()) == ["hook", "mail"]
    assert all(line.endswith("of 3 event(s) sent") for line in sent.stdout.splitlines())
    digest_post = hook.wait_for(2)[1]
    assert verify_signature(SECRET, digest_post.headers, digest_post.body)
    payload = digest_post.json()
    assert payload["type"] == "digest"
    assert digest_post.headers["webhook-id"] == payload["data"]["id"]
    assert {e["location"]["name"] for e in payload["data"]["events"]} == set(NAMES)
    digest_mail = smtp.messages[1]
    assert digest_mail["Subject"] == "[CQC] INFO Weekly digest: 3 changes at 3 locations"
    body = digest_mail.get_body(("plain",)).get_content()
    assert all(name in body for name in NAMES)

    again = cli(config, "digest", "send")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["hook: nothing waiting", "mail: nothing waiting"]
    assert len(hook.requests) == 2 and len(smtp.messages) == 2
    assert json.loads(cli(config, "status", "--format", "json").stdout)["held"] == {}


def test_digest_send_names_the_sinks_it_knows(setup: Setup) -> None:
    unknown = cli(setup.config, "digest", "send", "--sink", "pager")
    assert unknown.returncode == 2
    assert "no sink named 'pager' (configured: hook, mail)" in unknown.stderr
    nothing = cli(setup.config, "digest", "send", "--sink", "mail")
    assert (nothing.returncode, nothing.stdout) == (0, "mail: nothing waiting\n")


def test_an_invalid_digest_schedule_is_a_configuration_error_naming_the_key(
    tmp_path: Path,
) -> None:
    with WebhookReceiver() as hook:
        bad = sinks(hook, None, digest="0 8 * * 9")
        config = write_config(tmp_path, "http://127.0.0.1:9", extra=bad)
        for args in (("config", "check"), ("digest", "send"), ("run",)):
            done = cli(config, *args)
            assert done.returncode == 2, args
            assert "sinks[0].digest" in done.stderr and "weekday '9'" in done.stderr


def test_a_digest_send_killed_between_sending_and_recording_is_sent_again_with_its_id(
    setup: Setup,
) -> None:
    sim, hook, config = setup.sim, setup.hook, setup.config
    new_reports(sim, docs.HENLEY, docs.LUCERNE)
    assert cli(config, "check", "--full").returncode == 0
    hook.respond(200, delay=30)  # the digest is received, but its answer never arrives
    sending = subprocess.Popen(
        command(config, "digest", "send", "--sink", "hook"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    wait_for(lambda: hook.requests, what="the digest POST")
    sending.send_signal(signal.SIGKILL)
    sending.wait(timeout=10)

    again = cli(config, "digest", "send", "--sink", "hook")

    assert again.returncode == 0, again.stderr
    assert again.stdout.endswith("of 2 event(s) sent\n")
    first, second = hook.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # one digest, twice
    assert first.body == second.body
    third = cli(config, "digest", "send", "--sink", "hook")
    assert third.stdout == "hook: nothing waiting\n"
    assert len(hook.requests) == 2


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)")
def test_two_run_replicas_reaching_a_window_send_one_digest(tmp_path: Path) -> None:
    reset_postgres(POSTGRES_URL)
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with simulator.serve() as server, WebhookReceiver() as hook:
        schedule = """
[schedule]
changes_every_seconds = 1
deliver_every_seconds = 1
review = "0 6 1 1 *"
[server]
host = "127.0.0.1"
port = 0
"""
        every_minute = sinks(hook, None, digest="* * * * *")
        config = write_config(
            tmp_path, server.base_url, extra=schedule + every_minute, database_url=POSTGRES_URL
        )
        assert cli(config, "check", "--full").returncode == 0
        replicas = [start_replica(config, tmp_path / f"replica-{n}.log") for n in (1, 2)]
        try:
            for replica in replicas:
                replica.logged("worker_started")
            new_reports(simulator, *LOCATIONS)
            (request,) = wait_for(lambda: hook.requests, timeout=150, what="the digest")
            payload = request.json()
            assert payload["type"] == "digest" and len(payload["data"]["events"]) == 3
            assert payload["data"]["window_end"].endswith(":00Z")  # sent at its window
            engine = make_engine(POSTGRES_URL)
            try:
                wait_for(lambda: _all_sent(engine), what="the deliveries recorded")
                time.sleep(3)  # both replicas' next rounds and windows find nothing to send
                with engine.connect() as connection:
                    closed = connection.execute(select(DigestRecord.sink)).all()
            finally:
                engine.dispose()
            assert len(closed) == 1 and len(hook.requests) == 1
            windows = Counter(line["sink"] for r in replicas for line in r.events("digest_closed"))
            assert windows == {"hook": 1}
        finally:
            for replica in replicas:
                replica.stop()


def _all_sent(engine: object) -> bool:
    with engine.connect() as connection:  # type: ignore[attr-defined]
        statuses = connection.execute(select(Delivery.status)).scalars().all()
    return bool(statuses) and set(statuses) == {"sent"}
