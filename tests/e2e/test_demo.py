"""``cqc-monitor demo`` as a user runs it: a subprocess, offline, with an output folder."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from monitor.store import migrate
from monitor.store.engine import make_readonly_engine
from tests.support.cli import ROOT
from tests.support.smtp import bodies

pytestmark = pytest.mark.slow

# The story ends when the demo runs; fixed here so that its dates can be read exactly. It is
# published from 31 days before to the day before: 2026-01-30 to 2026-03-01.
NOW = "2026-03-02T12:00:00Z"


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor.demo", "--fast", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # the promise: under a minute
        env=environ,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path_factory.mktemp("demo") / "out"
    result = run_demo("--output", str(output), "--now", NOW)
    assert result.returncode == 0, result.stderr
    return result, output


def emails(output: Path) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(output.glob("email/*.eml"))]


def webhooks(output: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(output.glob("webhook/*.json"))]


def chapter(stdout: str, number: int) -> str:
    return stdout.split(f"Chapter {number}.", 1)[1].split("━━ Chapter", 1)[0]


def test_the_downgrade_arrives_as_an_email_naming_it(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, output = demo
    messages = emails(output)
    subjects = [str(m["Subject"]) for m in messages]
    # The downgrade and the report that brought it read as one alert: two critical changes.
    downgrade = messages[subjects.index("[CQC] CRITICAL Henley House: 2 changes (2 critical)")]
    content, markup = bodies(downgrade)
    # The report first, with what its text says under it, then what it changed.
    assert "Findings: 3 breaches of regulation · special measures" in content
    assert "We identified 3 breaches of regulation relating to person centred care" in content
    assert content.index("Findings:") < content.index("What it changed:")
    assert "Overall: Good → Inadequate" in content and "Safe: Good → Inadequate" in content
    # A rating from CQC's Single Assessment Framework says so.
    assert "(new assessment, published 2026-01-31)" in content
    assert "3 breaches of regulation · special measures" in markup
    # The board's sink takes critical alerts only: the downgrade and the deregistration.
    board = [s for s, m in zip(subjects, messages, strict=True) if "quality-board" in m["To"]]
    assert board == [
        "[CQC] CRITICAL Henley House: 2 changes (2 critical)",
        "[CQC] CRITICAL Lucerne House: deregistered",
        "[CQC] CRITICAL Halstead and Colne Valley NHS Trust: Overall Good → Requires improvement",
    ]


def test_the_story_is_detected_in_the_hours_before_it_ends(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, output = demo
    sent = sorted(m["Date"].datetime for m in emails(output))
    assert str(sent[0]) == "2026-03-02 00:30:00+00:00"  # the first poll, after the baseline
    assert str(sent[-1]) == "2026-03-02 12:00:00+00:00"  # the last poll: the story's end
    assert "[Mon 02 Mar 2026 12:00 UTC] worker: daily poll" in chapter(result.stdout, 8)
    # What CQC publishes keeps its order and gaps, dated the days before.
    assert "(inspection report, published 2026-03-01)" in chapter(result.stdout, 8)
    assert "on 16 February 2026" in chapter(result.stdout, 6)  # the monthly data review


def test_signed_webhooks_for_every_event(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, output = demo
    received = webhooks(output)
    named = [
        (
            r["body"]["type"],
            (r["body"]["data"]["location"] or r["body"]["data"]["provider"])["name"],
        )
        for r in received
    ]
    assert named == [
        ("new_inspection", "Alliance Medical Harley Street"),
        ("rating_changed", "Henley House"),
        ("new_inspection", "Henley House"),
        ("registration_changed", "Lucerne House"),
        ("location_added", "Orwell View"),
        ("data_review", "Alliance Medical Harley Street"),
        ("provider_rating_changed", "Halstead and Colne Valley NHS Trust"),
        ("provider_new_report", "Halstead and Colne Valley NHS Trust"),
    ]
    rating = received[1]
    assert rating["signature"] == "verified"
    assert rating["headers"]["webhook-id"] == rating["body"]["data"]["id"]
    assert rating["body"]["data"]["severity"] == "critical"
    assert {
        (c["question"], c["old"], c["new"]) for c in rating["body"]["data"]["details"]["changes"]
    } == {
        ("Overall", "Good", "Inadequate"),
        ("Safe", "Good", "Inadequate"),
        ("Effective", "Good", "Requires improvement"),
        ("Responsive", "Good", "Requires improvement"),
        ("Well-led", "Good", "Inadequate"),
    }
    assert {c["framework"] for c in rating["body"]["data"]["details"]["changes"]} == {"assessment"}
    # The report of that assessment, read in the same cycle: its findings in the alert.
    report = received[2]["body"]["data"]
    assert report["severity"] == "critical"
    assert (
        report["details"]["report_link_id"] == rating["body"]["data"]["details"]["report_link_id"]
    )
    findings = report["details"]["findings"]
    assert (findings["source"], findings["breaches"], findings["special_measures"]) == (
        "report_text",
        3,
        "placed",
    )
    assert findings["regulations"] == [
        "Regulation 9: Person-centred care",
        "Regulation 12: Safe care and treatment",
        "Regulation 17: Good governance",
    ]
    assert findings["enforcement"] == []
    # The monthly review's report had nothing of the sort to say.
    assert received[0]["body"]["data"]["details"]["findings"]["breaches"] is None


def test_a_failed_webhook_delivery_is_retried_and_sent(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = demo
    down, recovered = chapter(result.stdout, 6), chapter(result.stdout, 7)
    assert re.search(r"partner-webhook\s+failed\s+1\s+data_review\s+\S+\s+HTTP 503", down), down
    assert re.search(r"partner-webhook\s+sent\s+2\s+data_review", recovered), recovered


def test_alerts_are_printed_and_the_history_shows_the_downgrade(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, output = demo
    assert str(output) in result.stdout.splitlines()[0]
    assert "== rating_changed" in chapter(result.stdout, 3)
    assert "Lucerne House was deregistered by CQC on 2026-02-01." in chapter(result.stdout, 4)
    history = chapter(result.stdout, 9)
    assert "cqc-monitor history 1-10000302982" in history
    assert re.search(r"snapshot\s+#\d+ Registered Overall: Good", history)
    assert re.search(r"snapshot\s+#\d+ Registered Overall: Inadequate", history)
    assert "[critical] Henley House: Overall: Good → Inadequate" in history
    assert f"Done. 17 files in {output}" in result.stdout


def test_a_trust_downgrade_is_one_critical_alert_naming_the_trust(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, output = demo
    told = chapter(result.stdout, 8)
    assert "An NHS trust downgraded" in told
    assert "== provider_rating_changed" in told and "== provider_new_report" in told
    assert "Use of resources: Good → Requires improvement" in told
    # The trust's hospital, unchanged, raised nothing: only the trust's two events.
    assert "1 provider checked, 1 changed" in told and "2 events" in told
    (changed,) = [
        w["body"]["data"]
        for w in webhooks(output)
        if w["body"]["type"] == "provider_rating_changed"
    ]
    assert changed["severity"] == "critical" and changed["location"] is None
    assert changed["provider"]["name"] == "Halstead and Colne Valley NHS Trust"
    assert {(c["question"], c["old"], c["new"]) for c in changed["details"]["changes"]} == {
        ("Overall", "Good", "Requires improvement"),
        ("Well-led", "Good", "Inadequate"),
        ("Use of resources", "Good", "Requires improvement"),
    }


def test_a_care_home_registering_in_the_watched_area_is_announced(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, output = demo
    told = chapter(result.stdout, 5)
    assert "== location_added" in told
    assert "New care home registered in Suffolk: Orwell View, not yet rated" in told
    subjects = [str(m["Subject"]) for m in emails(output)]
    assert "[CQC] INFO Orwell View: newly registered, joins suffolk-care-homes" in subjects
    (added,) = [w for w in webhooks(output) if w["body"]["type"] == "location_added"]
    details = added["body"]["data"]["details"]
    assert (details["search"], details["reason"], details["ratings"]) == (
        "suffolk-care-homes",
        "new_registration",
        [],
    )


def test_the_database_is_kept_and_the_dashboard_command_printed(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, output = demo
    database = output / "monitor.db"
    program = f"{Path(sys.executable).relative_to(ROOT)} -m monitor"
    command = f"{program} dashboard --database sqlite:///{database}"
    assert result.stdout.rstrip().splitlines()[-2].strip() == command
    # The closing lines work as typed, from where the demo was run.
    printed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]
    for line in printed:
        if line.startswith(program) and " dashboard " not in line:
            done = subprocess.run(
                shlex.split(line), cwd=ROOT, capture_output=True, text=True, timeout=60
            )
            assert done.returncode in (0, 1), (line, done.stderr)  # status: 1 needs attention
            assert done.stdout.strip() and "error" not in done.stderr, (line, done.stderr)
    engine = make_readonly_engine(f"sqlite:///{database}")
    try:
        assert migrate.schema_problem(engine) is None
        with engine.connect() as connection:
            dead = connection.execute(
                text("SELECT sink, last_error FROM deliveries WHERE status = 'dead'")
            ).all()
    finally:
        engine.dispose()
    # The endpoint its owner retired: every critical alert given up, for the dashboard to show.
    assert [sink for sink, _ in dead] == ["pager-webhook"] * 4
    assert "410" in dead[0][1]


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run_demo("--output", str(tmp_path))
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_the_story_just_played_reads_as_recent(tmp_path: Path) -> None:
    """Run as a user runs it, on today's clock: the commands it prints afterwards show the story
    as just detected, not as long ago."""
    output = tmp_path / "out"
    assert run_demo("--output", str(output)).returncode == 0
    database = f"sqlite:///{output / 'monitor.db'}"
    week_ago = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    changes = read(tmp_path, "changes", "--since", week_ago, "--format", "json", database)
    events = {
        (e["type"], (e["location"] or e["provider"])["id"]) for e in json.loads(changes.stdout)
    }
    assert ("rating_changed", "1-10000302982") in events
    assert ("registration_changed", "1-125856395") in events
    status = read(tmp_path, "status", database)
    assert status.returncode == 1  # the retired endpoint's dead alerts still need attention
    assert "no full review has completed" not in status.stdout
    assert "no cycle has completed" not in status.stdout
    assert "sink 'pager-webhook' disabled" in status.stdout


def read(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A read command on the demo's database (the last argument), as the demo prints it."""
    *command, database = args
    return subprocess.run(
        [sys.executable, "-m", "monitor", *command, "--database", database],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
        check=False,
    )


def test_a_now_that_is_not_a_time_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run_demo("--output", str(output), "--now", "yesterday")
    assert result.returncode == 2
    assert "'yesterday' is not a time such as 2026-01-31T12:00:00Z" in result.stderr
    assert not output.exists()
