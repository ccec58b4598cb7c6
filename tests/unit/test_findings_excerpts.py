"""Every real excerpt of CQC report wording, read right: the findings below were written by
reading each excerpt, not by running the reader. The same words laid out as the simulator's
PDF text extract (cover page, wrapped lines, hyphenation, running footers) read the same."""

from __future__ import annotations

import re
from typing import Any

import pytest

from monitor.domain.findings import Findings, read_findings
from monitor.sim.report_text import ReportFacts, as_text, compose
from tests.support.report_texts import EXCERPTS, real_excerpt

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
