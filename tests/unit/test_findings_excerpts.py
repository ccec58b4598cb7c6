"""Every real excerpt of CQC report wording, read right: the findings below were written by
reading each excerpt, not by running the reader. The same words laid out as the simulator's
PDF text extract (cover page, wrapped lines, hyphenation, running footers) read the same."""

from __future__ import annotations

import re
from typing import Any

import pytest

from monitor.domain.findings import Findings, read_findings
from monitor.sim.report_text import ReportFacts, as_text, compose
from tests.support.report_texts import EXCERPTS, EXPECTED, real_excerpt


def test_every_excerpt_has_expected_findings() -> None:
    assert sorted(EXPECTED) == sorted(EXCERPTS)


def assert_findings(found: Findings, expected: dict[str, Any]) -> None:
    assert found.breaches == expected.get("breaches")
    assert list(found.regulations) == expected.get("regulations", [])
    assert found.special_measures == expected.get("special_measures")
    assert list(found.enforcement) == expected.get("enforcement", [])
    assert found.summary is not None and found.summary.startswith(expected["summary"])
    assert len(found.summary) <= 600 and found.summary.endswith((".", ":", "!", "?", "…"))


@pytest.mark.parametrize("name", EXCERPTS)
def test_each_excerpt_reads_right(name: str) -> None:
    assert_findings(read_findings(real_excerpt(name)), EXPECTED[name])


@pytest.mark.parametrize("name", EXCERPTS)
def test_each_excerpt_laid_out_as_a_pdf_extract_reads_the_same(name: str) -> None:
    facts = ReportFacts(
        link_id=f"report-{name}",
        name="Henley House",
        address="333 Henley Road, Ipswich, IP1 6TB",
        published="2025-11-04",
        visited="2025-10-01",
        rating="Inadequate",
    )
    text = as_text(compose(facts, (name,)))
    # Page furniture throughout: "2 Henley House Inspection report 4 November 2025", "2 Henley
    # House Quality Report 04/11/2025" or "Page 2 of 3", whichever kind of report it is.
    assert re.search(r"^(?:2 Henley House (?:Inspection|Quality) [Rr]eport|Page 2 of)", text, re.M)
    for hint in (None, "Henley House"):
        assert_findings(read_findings(text, location_name=hint), EXPECTED[name])


def test_the_source_is_named() -> None:
    found = read_findings(real_excerpt("05a"), source="assessment_narrative")
    assert found.source == "assessment_narrative"
    assert found.to_dict()["source"] == "assessment_narrative"
