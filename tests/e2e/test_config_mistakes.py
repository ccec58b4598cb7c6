"""``config check`` names every mistake of a configuration in one run (exit 2), each by its
key, with "did you mean" where a real word is close."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

FOURTEEN = """
[database]
url = "sqlite:///{folder}/monitor.db"

[sources.cqc_api]
subscription_key = "${{CQC_KEY_NOT_SET}}"

[watch]
all = "yes"
locations = ["1-10000302982", "not-an-id"]

[[watch.search]]
name = "kent"
localAuthorty = "Kent"

[[watch.search]]
name = "kent"
overallRating = "Inadequat"

[schedule]
timezon = "Europe/London"

[alerts]
first_seen = "alerts"

[logging]
level = "warn"

[retention]
keep_raw_payload = "no"

[[sinks]]
name = "ops"
type = "webhok"
url = "https://hooks.example.org/a"

[[sinks]]
name = "email"
type = "console"
events = ["rating_change"]
min_severity = "critcal"

[[sinks]]
name = "email"
type = "console"
"""

EXPECTED = [
    ("sources.cqc_api.subscription_key", "CQC_KEY_NOT_SET is not set"),
    ("watch.all", "true or false"),
    ("watch.locations", "not-an-id"),
    ("watch.search[0]", "did you mean localAuthority"),
    ("watch.search[1].name", "duplicate search name 'kent'"),
    ("watch.search[1].overallRating", "did you mean Inadequate"),
    ("schedule.timezon", "did you mean timezone"),
    ("alerts.first_seen", "did you mean 'alert'"),
    ("logging.level", "did you mean 'warning'"),
    ("retention.keep_raw_payload", "true or false"),
    ("sinks[0].type", "did you mean webhook"),
    ("sinks[1].events", "did you mean rating_changed"),
    ("sinks[1].min_severity", "did you mean 'critical'"),
    ("sinks[2].name", "duplicate sink name 'email'"),
]


def test_fourteen_mistakes_are_all_reported_in_one_run(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(FOURTEEN.format(folder=tmp_path))
    result = run_cli(config, "config", "check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "14 problems" in result.stderr, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    for key, words in EXPECTED:
        assert any(line.startswith(f"{key}:") and words in line for line in lines), (
            key,
            result.stderr,
        )


def test_a_valid_config_loads_where_the_default_database_could_not_be_created(
    tmp_path: Path,
) -> None:
    """Nothing at the default SQLite path is checked or made while loading: a read-only
    root (a container) runs a config whose database is elsewhere."""
    folder = tmp_path / "root"
    folder.mkdir()
    (folder / "data").write_text("a file where the default database folder would be")
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[sources.cqc_api]\nsubscription_key = "k"\n[watch]\nlocations = ["1-10000302982"]\n'
    )
    result = run_cli(
        config,
        "config",
        "check",
        env={"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}"},
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
