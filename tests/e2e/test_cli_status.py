"""``cqc-monitor status`` as a probe, and read-only commands that never migrate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert

from monitor.sim import SimulatedCqc
from monitor.store import migrate
from monitor.store.engine import make_engine
from monitor.store.tables import Cycle
from tests.support import documents as docs
from tests.support.cli import run_cli, write_config
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow


def test_healthy_database_exits_0_with_its_state(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1])
    assert run_cli(config, "check", "--full").returncode == 0

    table = run_cli(config, "status")
    assert table.returncode == 0, table.stdout + table.stderr
    assert "nothing needs attention" in table.stdout
    assert "3 active" in table.stdout and "completed" in table.stdout

    report = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert report["schema"]["current"] == report["schema"]["head"]
    assert report["locations"] == {
        "active": 3,
        "unbaselined": 0,
        "failing": 0,
        "gone": 0,
        "unknown": 0,
    }
    assert report["cycles"]["full"]["status"] == "completed"
    assert report["cycles"]["full"]["counts"]["baselines"] == 3
    assert report["feed_watermark"] is not None
    assert report["attention"] == [] and report["lease"] is None


def test_failing_location_exits_1_listing_it(tmp_path: Path, sim: tuple[SimulatedCqc, str]) -> None:
    simulator, base_url = sim
    config = write_config(tmp_path, base_url)
    simulator.faults.malformed(docs.HENLEY)
    assert run_cli(config, "check", "--full").returncode == 0

    result = run_cli(config, "status")
    assert result.returncode == 1
    assert "1 location(s) failing" in result.stdout
    assert f"failing {docs.HENLEY}" in result.stdout

    report = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert [f["id"] for f in report["failing"]] == [docs.HENLEY]
    assert report["failing"][0]["last_error"]


def test_a_failing_location_taken_out_of_the_watchlist_needs_no_more_attention(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    simulator, base_url = sim
    simulator.faults.malformed(docs.HENLEY)
    assert run_cli(write_config(tmp_path, base_url), "check", "--full").returncode == 0
    assert run_cli(write_config(tmp_path, base_url), "status").returncode == 1

    narrower = write_config(tmp_path, base_url, locations=[docs.LUCERNE, docs.ALLIED])
    assert run_cli(narrower, "check").returncode == 0
    result = run_cli(narrower, "status", "--format", "json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["failing"] == []
    assert report["locations"]["failing"] == 0 and report["locations"]["active"] == 2


def test_dead_deliveries_exit_1_counted_per_sink(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    with WebhookReceiver() as hook:
        hook.respond(410)
        sinks = f"""
[alerts]
first_seen = "alert"
[[sinks]]
name = "retired"
type = "webhook"
url = "{hook.url}"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""
        config = write_config(tmp_path, sim[1], locations=[docs.HENLEY], extra=sinks)
        assert run_cli(config, "check", "--full").returncode == 0

    result = run_cli(config, "status", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["deliveries"]["retired"]["dead"] >= 1
    assert any("dead" in reason for reason in report["attention"])


def test_a_cycle_whose_replica_stopped_renewing_its_lease_exits_1_naming_it(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1])
    assert run_cli(config, "check", "--full").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Cycle).values(
                kind="full",
                trigger="schedule",
                slot_key="review:2026-12-01T06:00:00+00:00",
                owner="host-b:7",
                started_at=now,
                status="running",
                lease_expires_at=now - timedelta(minutes=2),
            )
        )
    engine.dispose()

    result = run_cli(config, "status")
    assert result.returncode == 1
    assert "running on host-b:7" in result.stdout
    assert "host-b:7 stopped renewing its lease" in result.stdout


READ_ONLY = (
    ("status",),
    ("history", docs.HENLEY),
    ("changes",),
    ("alerts",),
    ("sinks",),
    ("config", "check"),
)


def test_read_only_commands_refuse_a_database_behind_the_migrations(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1])
    assert run_cli(config, "check").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    command.downgrade(migrate.alembic_config(engine), "-1")
    behind = migrate.current_revision(engine)

    for args in READ_ONLY:
        result = run_cli(config, *args)
        assert result.returncode == 1, args
        assert "run cqc-monitor db upgrade" in result.stderr, (args, result.stderr)
    refused = run_cli(config, "check", "--no-migrate")
    assert refused.returncode == 1 and "run cqc-monitor db upgrade" in refused.stderr
    assert migrate.current_revision(engine) == behind

    assert run_cli(config, "check").returncode == 0  # may migrate
    assert migrate.is_at_head(engine)
    engine.dispose()


def test_read_only_commands_create_no_database(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1])
    result = run_cli(config, "status")
    assert result.returncode == 1 and "run cqc-monitor db upgrade" in result.stderr
    assert run_cli(config, "config", "check").returncode == 0
    assert not (tmp_path / "monitor.db").exists()
