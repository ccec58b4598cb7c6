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


# The findings of each real excerpt, written by reading it (not by running the reader).
SAFE_CARE = "Regulation 12: Safe care and treatment"
GOVERNANCE = "Regulation 17: Good governance"
PERSON_CENTRED = "Regulation 9: Person-centred care"
DIGNITY = "Regulation 10: Dignity and respect"
STAFFING = "Regulation 18: Staffing"

EXPECTED: dict[str, dict[str, Any]] = {
    # 2014 hospital PDF: a ratings table and the Chief Inspector's letter; no breach named.
    "01a": {
        "breaches": None,
        "summary": "The Care Quality Commission (CQC) carried out a comprehensive inspection",
    },
    # 2023 care home summary: concerns, "in compliance with regulations", no breach counted.
    "03a": {"summary": "The provider had not effectively operated assessment and monitoring"},
    # "Background to this inspection": how CQC inspected, nothing found.
    "03b": {"summary": "We carried out this inspection under Section 60"},
    # 2023 focused inspection, Inadequate: the excerpt ends before any breach is counted.
    "03c": {"summary": "People were not kept safe from known risks."},
    # 2018: four continued breaches and special measures at the previous inspection; none now,
    # and out of special measures.
    "03d": {
        "breaches": 0,
        "special_measures": "removed",
        "summary": "This inspection took place on 11 May 2018 and was unannounced.",
    },
    # 2023 mental health service: Inadequate, "Right support" paragraphs, no breach counted.
    "03e": {"summary": "Our rating of this service stayed the same. We rated it as inadequate"},
    # 2024 assessment: three breaches by subject (training, recruitment, governance).
    "04a": {
        "breaches": 3,
        "regulations": [
            GOVERNANCE,
            STAFFING,
            "Regulation 19: Fit and proper persons employed",
        ],
        "summary": "Brighton Lodge is a residential care home",
    },
    # 2024 key-question page: a score and concerns, no breach.
    "04b": {"summary": "At our last assessment we rated this key question good."},
    # 2024 assessment: "3 breaches of regulation", placed in special measures; the general
    # enforcement paragraph names no action taken.
    "05a": {
        "breaches": 3,
        "regulations": [PERSON_CENTRED, SAFE_CARE, GOVERNANCE],
        "special_measures": "placed",
        "summary": "The assessment commenced on 6 November 2024",
    },
    # 2024 assessment: "six breaches", placed in special measures.
    "05b": {
        "breaches": 6,
        "regulations": [
            PERSON_CENTRED,
            DIGNITY,
            "Regulation 11: Need for consent",
            SAFE_CARE,
            GOVERNANCE,
            STAFFING,
        ],
        "special_measures": "placed",
        "summary": "We completed this assessment between 3 and 17 September 2024.",
    },
    # 2025 follow-up: previously in breach of 6 regulations and still in breach of "these
    # regulations" at this assessment; remains in special measures.
    "05c": {
        "breaches": 6,
        "regulations": [
            PERSON_CENTRED,
            DIGNITY,
            SAFE_CARE,
            "Regulation 13: Safeguarding service users from abuse and improper treatment",
            GOVERNANCE,
            STAFFING,
        ],
        "special_measures": "remains",
        "summary": "Date of assessments were from 2 to 17 April 2025",
    },
}


__all__ = ["EXCERPTS", "EXPECTED", "constructed", "constructed_expectations", "real_excerpt"]
