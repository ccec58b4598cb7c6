"""``python -m bench.bench_digest`` at small sizes: it runs end to end and its report holds.

No timing is asserted; what is asserted holds at any speed: every held alert goes in the
digest, and every webhook part stays within the limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_module

pytestmark = pytest.mark.slow


def test_the_digest_benchmark_closes_renders_and_cuts_each_size(tmp_path: Path) -> None:
    output = tmp_path / "digest.json"
    done = run_module("bench.bench_digest", "--sizes", "20", "1500", "--output", str(output))
    small, large = json.loads(output.read_text(encoding="utf-8"))
    assert (small["size"], small["parts"]) == (20, 1)
    assert large["size"] == 1500 and large["parts"] >= 2
    assert large["largest_part_kb"] <= 256
    assert large["email_kb"] > small["email_kb"]
    assert "largest_part_kb" in done.stdout
