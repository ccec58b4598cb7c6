"""The read commands on a database alone (``--database``, no configuration file), and the
one changes CSV, the same from the command line and from the dashboard."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import clean_environment
from tests.support.dashboard import client, serving

pytestmark = pytest.mark.slow


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``cqc-monitor`` run where no configuration file is, as an auditor would."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=clean_environment(),
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("status", "--format", "json"),
        ("changes", "--format", "json"),
        ("alerts", "--format", "json"),
        ("sinks", "--format", "json"),
        ("history", "1-10000302982", "--format", "json"),
    ],
    ids=lambda args: args[0],
)
def test_read_commands_need_no_configuration_file(
    demo_database: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = cli(tmp_path, *args, "--database", demo_database)
    assert result.returncode in (0, 1), result.stderr  # status: 1 when something needs looking at
    assert "configuration" not in result.stderr and "config" not in result.stderr
    assert json.loads(result.stdout)


def test_the_changes_csv_is_one_definition_for_the_cli_and_the_dashboard(
    demo_database: str, tmp_path: Path
) -> None:
    result = cli(tmp_path, "changes", "--format", "csv", "--database", demo_database)
    assert result.returncode == 0, result.stderr
    events = json.loads(
        cli(tmp_path, "changes", "--format", "json", "--database", demo_database).stdout
    )
    with serving(demo_database) as base:
        download = client().get(base + "/changes.csv?size=500", timeout=10)

    assert download.content.decode("utf-8") == result.stdout
    assert download.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for spreadsheets
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert [row["id"] for row in rows] == [event["id"] for event in events]  # one row per event
    assert {"provider_id", "breaches", "special_measures", "findings_source"} <= set(rows[0])
    assert all(row["provider_id"] for row in rows if row["type"] == "rating_changed")
    assert all(row["detected_at"].endswith("Z") and "T" in row["detected_at"] for row in rows)
