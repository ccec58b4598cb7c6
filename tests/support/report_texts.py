"""Report wording for the tests: the real excerpts (as the simulator carries them) and the
constructed texts of tests/fixtures/report-text/."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.sim.report_text import EXCERPTS

CONSTRUCTED = Path(__file__).parents[1] / "fixtures" / "report-text"


def real_excerpt(name: str) -> str:
    """A real excerpt's words, without the lines saying where it came from."""
    raw = resources.files("monitor.sim").joinpath("data", f"report-{name}.txt").read_text("utf-8")
    lines = raw.split("\n")
    while lines and lines[0].startswith(("source:", "note:")):
        lines.pop(0)
    return "\n".join(lines)


def constructed(name: str) -> str:
    """A constructed text without its first line (which says what it shows)."""
    return (CONSTRUCTED / f"{name}.txt").read_text(encoding="utf-8").split("\n", 1)[1]


def constructed_expectations() -> dict[str, dict[str, Any]]:
    expected: dict[str, dict[str, Any]] = json.loads(
        (CONSTRUCTED / "expected.json").read_text(encoding="utf-8")
    )
    return expected


__all__ = ["EXCERPTS", "constructed", "constructed_expectations", "real_excerpt"]
