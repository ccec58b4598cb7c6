"""``python -m bench.bench_rate_bucket`` briefly: it runs end to end and its report holds.

Only what holds at any speed is asserted: every reservation paced by the database, and the
paced processes together never above the configured rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL
from tests.support.cli import run_module

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)"
    ),
]


def test_the_rate_bucket_benchmark_reports_its_three_figures(tmp_path: Path) -> None:
    output = tmp_path / "rate_bucket.json"
    done = run_module(
        "bench.bench_rate_bucket",
        *("--database", POSTGRES_URL, "--processes", "2", "--threads", "2"),
        *("--seconds", "1", "--rate", "40", "--round-trips", "50", "--output", str(output)),
    )
    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["round_trip"]["acquisitions"] == 50
    assert results["ceiling"]["acquisitions"] > 0 and results["ceiling"]["fallbacks"] == 0
    paced = results["paced"]
    assert paced["acquisitions"] == 40 and paced["fallbacks"] == 0
    assert paced["per_second"] <= 40
    assert "reservations/s" in done.stdout
