"""``cqc-monitor`` as a user runs it: a subprocess against a local simulated CQC API."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from monitor.sim import SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow


def test_baseline_then_exactly_the_expected_events(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    simulator, base_url = sim
    config = write_config(tmp_path, base_url)

    first = run_cli(config, "check")
    assert first.returncode == 0, first.stderr
    assert "3 locations checked" in first.stdout and "0 events" in first.stdout
    assert json.loads(run_cli(config, "changes", "--format", "json").stdout) == []

    simulator.set_rating(docs.HENLEY, "Safe", "Requires improvement", report_date="2026-11-20")
    simulator.deregister(docs.LUCERNE, "2026-11-25")
    time.sleep(1.1)  # the change feed is queried at one-second resolution
    second = run_cli(config, "check")
    assert second.returncode == 0, second.stderr
    assert "2 changed" in second.stdout, second.stdout

    events = json.loads(run_cli(config, "changes", "--format", "json").stdout)
    kinds = sorted((e["location"]["id"], e["type"]) for e in events)
    assert kinds == [
        (docs.HENLEY, "new_inspection"),
        (docs.HENLEY, "rating_changed"),
        (docs.LUCERNE, "registration_changed"),
    ]
    rating = next(e for e in events if e["type"] == "rating_changed")
    assert rating["details"]["changes"] == [
        {
            "question": "Safe",
            "service": None,
            "old": "Good",
            "new": "Requires improvement",
            "direction": "declined",
            "framework": "legacy",
        }
    ]

    history = json.loads(run_cli(config, "history", docs.HENLEY, "--format", "json").stdout)
    kinds_seen = [h["kind"] for h in history]
    assert kinds_seen == ["snapshot", "snapshot", "event", "event", "report_text"]
    # The new report's text was read in the cycle: history holds it, whole, with its findings.
    report = history[-1]
    assert (report["status"], report["source"]) == ("read", "report_text")
    assert report["text"] == simulator.report_text(report["link_id"])
    inspection = next(e for e in events if e["type"] == "new_inspection")
    assert inspection["details"]["findings"] == report["findings"] is not None
    assert history[0]["ratings"]["Safe"] == "Good"
    assert history[1]["ratings"]["Safe"] == "Requires improvement"

    table = run_cli(config, "changes", "--type", "registration_changed")
    assert "was deregistered by CQC on 2026-11-25" in table.stdout
    csv_out = run_cli(config, "changes", "--format", "csv").stdout.splitlines()
    header = "\ufeffdetected_at,severity,type,location_id,location,provider_id,provider,summary,id"
    assert csv_out[0].startswith(header) and len(csv_out) == 4  # one row per event
    changes_csv = list(
        csv.DictReader(io.StringIO(run_cli(config, "changes", "--format", "csv").stdout[1:]))
    )
    (safe,) = [row for row in changes_csv if row["type"] == "rating_changed"]
    assert "Safe: Good → Requires improvement" in safe["summary"]
    assert safe["provider_id"]
    history_out = run_cli(config, "history", docs.HENLEY, "--format", "csv").stdout
    history_csv = list(csv.DictReader(io.StringIO(history_out)))
    assert "ratings" not in history_csv[0]
    assert [row["Safe"] for row in history_csv if row["kind"] == "snapshot"] == [
        "Good",
        "Requires improvement",
    ]


def test_refused_subscription_key_exits_1_naming_the_key(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    _, base_url = sim
    result = run_cli(write_config(tmp_path, base_url, key="wrong"), "check")
    assert result.returncode == 1
    assert "subscription key" in result.stderr
    assert "wrong" not in result.stderr


def test_unreachable_api_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/public/v1", extra="")
    result = run_cli(config, "check", "--full")
    assert result.returncode == 1
    assert "no location could be fetched" in result.stderr


def test_invalid_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", extra="[alerts]\nfailing_after = 0\n")
    result = run_cli(config, "check")
    assert result.returncode == 2
    assert "alerts.failing_after" in result.stderr


def test_config_check_masks_secrets(tmp_path: Path) -> None:
    extra = (
        '[[sinks]]\nname = "hook"\ntype = "webhook"\n'
        'url = "https://hooks.example.org/services/T0/B1/xoxb-token"\nsecret = "${HOOK_SECRET}"\n'
        '[sinks.headers]\nAuthorization = "Bearer abc-123-token"\n'
    )
    config = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    secret = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Ng=="
    result = run_cli(config, "config", "check", env={"HOOK_SECRET": secret})
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    for leaked in ("sim-key", secret, "xoxb-token", "abc-123-token"):
        assert leaked not in result.stdout
    resolved = json.loads(result.stdout.split("\n", 1)[1])
    assert resolved["sinks"][0]["name"] == "hook"
    assert resolved["sinks"][0]["url"] == "https://hooks.example.org/***"
    assert resolved["sinks"][0]["headers"] == {"Authorization": "********"}
    assert resolved["sources"]["cqc_api"]["base_url"] == "http://127.0.0.1:9"


def test_db_upgrade_then_empty_queries(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    upgraded = run_cli(config, "db", "upgrade")
    assert upgraded.returncode == 0 and "revision" in upgraded.stdout
    assert run_cli(config, "alerts").stdout.strip() == "(nothing to show)"
    missing = run_cli(config, "history", "1-404")
    assert missing.returncode == 1 and "never been checked" in missing.stderr


def test_check_prints_exactly_one_summary_line(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    _, base_url = sim
    result = run_cli(write_config(tmp_path, base_url), "check", "--full")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("full cycle 1: 3 locations checked")
    assert line.endswith("alerts: 0 sent, 0 to retry, 0 dead")


def test_changes_since_filters_and_a_bad_date_is_a_usage_error(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    simulator, base_url = sim
    config = write_config(tmp_path, base_url)
    assert run_cli(config, "check", "--full").returncode == 0
    simulator.deregister(docs.LUCERNE, "2026-11-25")
    assert run_cli(config, "check", "--full").returncode == 0

    assert (
        len(
            json.loads(
                run_cli(config, "changes", "--since", "2000-01-01", "--format", "json").stdout
            )
        )
        == 1
    )
    assert (
        json.loads(run_cli(config, "changes", "--since", "2999-01-01", "--format", "json").stdout)
        == []
    )
    bad = run_cli(config, "changes", "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr


@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_changes_since_a_moment_utc_cannot_hold_is_a_usage_error(
    tmp_path: Path, since: str
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    assert run_cli(config, "db", "upgrade").returncode == 0
    result = run_cli(config, "changes", "--since", since)
    assert result.returncode == 2, result.stderr
    assert "--since" in result.stderr and "database unavailable" not in result.stderr


def test_changes_csv_neutralises_a_name_a_spreadsheet_would_run(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    simulator, base_url = sim
    config = write_config(tmp_path, base_url, locations=[docs.HENLEY])
    assert run_cli(config, "check", "--full").returncode == 0
    formula = '=HYPERLINK("http://evil.example/","Henley")'
    simulator.update(docs.HENLEY, lambda doc: doc.update(name=formula))
    assert run_cli(config, "check", "--full").returncode == 0

    out = run_cli(config, "changes", "--format", "csv")
    assert out.returncode == 0, out.stderr
    header, *rows = csv.reader(io.StringIO(out.stdout))
    (row,) = [dict(zip(header, r, strict=True)) for r in rows]
    assert row["location"] == "'" + formula
    assert row["summary"].startswith("'=HYPERLINK(")
    (event,) = json.loads(run_cli(config, "changes", "--format", "json").stdout)
    assert event["location"]["name"] == formula
