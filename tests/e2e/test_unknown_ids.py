"""An id CQC has never answered for is unknown, not gone: the command line says so and
fails, ``status`` lists a configured one as not found at CQC, and nobody is alerted that a
location was removed. Ids of the wrong shape never reach the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.sim import SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import run_cli, write_config
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

UNKNOWN = "1-12345"


def test_check_of_an_unknown_id_exits_1_saying_cqc_has_no_such_location(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1])
    assert run_cli(config, "check", "--full").returncode == 0

    result = run_cli(config, "check", "--location", UNKNOWN)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"CQC has no location {UNKNOWN}" in result.stderr
    assert "1 gone" not in result.stdout

    # A spot check reaches outside the watchlist: what it met is kept, not watched.
    status = run_cli(config, "status", "--format", "json")
    assert status.returncode == 0, status.stdout
    report = json.loads(status.stdout)
    assert report["locations"]["gone"] == 0 and report["locations"]["unknown"] == 0
    assert report["unknown"] == []


def test_a_spot_check_of_a_location_outside_the_watchlist_is_not_counted_as_watched(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1], locations=[docs.HENLEY])
    assert run_cli(config, "check", "--full").returncode == 0

    assert run_cli(config, "check", "--location", docs.LUCERNE).returncode == 0
    report = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert report["locations"]["active"] == 1
    history = run_cli(config, "history", docs.LUCERNE, "--format", "json")
    assert history.returncode == 0, "its fetch is in the audit trail all the same"


def test_an_unknown_id_taken_out_of_the_watchlist_stops_counting_at_the_next_cycle(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1], locations=[docs.HENLEY, UNKNOWN])
    assert run_cli(config, "check", "--full").returncode == 0
    assert run_cli(config, "status").returncode == 1

    # The operator does what status asked: the mistyped id comes out of the watchlist.
    config = write_config(tmp_path, sim[1], locations=[docs.HENLEY])
    assert run_cli(config, "check").returncode == 0
    status = run_cli(config, "status", "--format", "json")
    assert status.returncode == 0, status.stdout
    report = json.loads(status.stdout)
    assert report["unknown"] == [] and report["locations"]["unknown"] == 0
    assert report["locations"]["active"] == 1

    # Back in the watchlist, it is a new entry again: the next cycle asks CQC for it (the
    # only fetch of this poll, and it fails: exit 1), and it is counted again.
    config = write_config(tmp_path, sim[1], locations=[docs.HENLEY, UNKNOWN])
    again = run_cli(config, "check")
    assert again.returncode == 1
    assert f"{UNKNOWN}: not found at CQC" in again.stdout + again.stderr
    result = run_cli(config, "status")
    assert result.returncode == 1
    assert f"{UNKNOWN}: not found at CQC" in result.stdout


def test_a_configured_unknown_id_is_listed_as_not_found_and_raises_no_alert(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    with WebhookReceiver() as hook:
        sinks = f"""
[alerts]
first_seen = "alert"
[[sinks]]
name = "everything"
type = "webhook"
url = "{hook.url}"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""
        config = write_config(tmp_path, sim[1], locations=[docs.HENLEY, UNKNOWN], extra=sinks)
        assert run_cli(config, "check", "--full").returncode == 0
        assert run_cli(config, "check", "--full").returncode == 0
        received = hook.wait_for(1)
    assert received, "the known location's first sight was delivered"
    assert all(b"location_removed" not in request.body for request in received)

    result = run_cli(config, "status")
    assert result.returncode == 1
    assert f"{UNKNOWN}: not found at CQC" in result.stdout
    report = json.loads(run_cli(config, "status", "--format", "json").stdout)
    assert report["locations"]["gone"] == 0 and report["locations"]["unknown"] == 1
    assert [row["id"] for row in report["unknown"]] == [UNKNOWN]

    resolved = run_cli(config, "config", "check", "--resolve")
    assert f"{UNKNOWN}: not found at CQC" in resolved.stderr


@pytest.mark.parametrize("value", ["not-an-id", "1-12a45", "rxq02", "1-"])
def test_a_malformed_id_on_the_command_line_is_a_usage_error(
    tmp_path: Path, sim: tuple[SimulatedCqc, str], value: str
) -> None:
    config = write_config(tmp_path, sim[1])
    for command, named in (
        (["check", "--location", value], "--location"),
        (["changes", "--location", value], "--location"),
        (["history", value], "LOCATION_ID"),
    ):
        result = run_cli(config, *command)
        assert result.returncode == 2, command
        assert named in result.stderr and "is not a CQC id" in result.stderr, command


def test_a_malformed_id_in_config_exits_2_naming_the_key(
    tmp_path: Path, sim: tuple[SimulatedCqc, str]
) -> None:
    config = write_config(tmp_path, sim[1], locations=[docs.HENLEY, "not-an-id"])
    result = run_cli(config, "config", "check")
    assert result.returncode == 2
    assert "watch.locations" in result.stderr and "not-an-id" in result.stderr


def test_nhs_codes_are_accepted(tmp_path: Path, sim: tuple[SimulatedCqc, str]) -> None:
    config = write_config(tmp_path, sim[1], locations=["RXQ02"], extra="")
    config.write_text(config.read_text().replace("[watch]\n", '[watch]\nproviders = ["RXQ"]\n'))
    result = run_cli(config, "config", "check")
    assert result.returncode == 0, result.stderr
