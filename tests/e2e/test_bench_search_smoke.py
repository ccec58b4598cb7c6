"""``python -m bench.search`` at a tiny size: it runs end to end and reports what it did.

No timing is asserted; what is asserted is what the monitor guarantees at any speed: one
query per search, pages asked for only as ids are consumed, one request per location.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_module

pytestmark = pytest.mark.slow
SIZE = 1200  # two pages of 1,000


def test_the_search_benchmark_streams_pages_lazily_and_baselines_the_matches(
    tmp_path: Path,
) -> None:
    output = tmp_path / "search.json"
    done = run_module("bench.search", "--size", str(SIZE), "--output", str(output))
    results = json.loads(output.read_text(encoding="utf-8"))
    for name in ("stream_cold", "stream_warm"):
        stream = results[name]
        assert (stream["locations"], stream["pages"]) == (SIZE, 2)
        assert stream["page_asked_at_id"] == [1, 1001]  # each page when its first id is wanted
    cycle = results["cycle"]
    assert cycle["requests"] == SIZE + 2  # the search's two pages, then each location once
    # Every generated location matches; the real deregistered one is listed but never joins.
    assert (cycle["cycle"]["baselines"], cycle["cycle"]["events"]) == (SIZE - 1, 0)
    steady = results["steady_cycle"]
    assert steady["requests"] == SIZE + 2
    assert (steady["cycle"]["unchanged"], steady["cycle"]["events"]) == (SIZE - 1, 0)
    assert results["register_cycle"]["cycle"]["baselines"] == SIZE
    assert f"Resolving a search of {SIZE:,} matching locations" in done.stdout
