"""A long report reads as its findings pages alone do: a constructed full report in PDF
extract layout, its sections padded with page after page of ordinary prose (none of it
naming a breach, special measures or enforcement) to well past 300 kB, as a large hospital
or trust report runs, still gives the findings and the summary of the short one."""

from __future__ import annotations

import random
import textwrap

from monitor.domain.findings import read_findings
from tests.support.report_texts import constructed, constructed_expectations

NAME = "Ferndale House"
FOOTER = "{page} Ferndale House Inspection report 18 August 2016"
PEOPLE = ["People", "Relatives", "Visitors", "Residents", "Family members", "Two people"]
SAID = ["told us", "said", "commented that", "explained that", "described how"]
THINGS = [
    "staff knew their routines well", "meals were varied and hot", "the garden was pleasant",
    "activities took place each afternoon", "the home was clean and tidy",
    "staff spoke to them kindly", "they could choose when to get up", "their rooms felt homely",
    "visits could happen at any time", "staff helped them to keep in touch with friends",
]  # fmt: skip
WHEN = ["during our visit", "in the morning", "at lunch", "over the weekend", "most days"]


def _prose(rng: random.Random, sentences: int) -> list[str]:
    words = " ".join(
        f"{rng.choice(PEOPLE)} {rng.choice(SAID)} {rng.choice(THINGS)} {rng.choice(WHEN)}."
        for _ in range(sentences)
    )
    return textwrap.wrap(words, width=rng.randint(84, 98))


def _padded(text: str, size: int) -> str:
    """``text`` with pages of prose, each with its running header and footer, after its third
    page until it is ``size`` characters long."""
    rng = random.Random(2016)
    third = text.index("\n", text.index(FOOTER.format(page=3))) + 1
    pages: list[str] = []
    page = 100
    while len(text) + sum(map(len, pages)) < size:
        body = "\n".join(["Is the service caring?", "Our findings", *_prose(rng, 30)])
        pages.append(f"{body}\n{FOOTER.format(page=page)}\n\n")
        page += 1
    return text[:third] + "\n" + "".join(pages) + text[third:]


def test_a_report_past_300_kb_reads_as_its_findings_pages_do() -> None:
    plain = constructed("2016-asc-full-report-pdf")
    text = _padded(plain, 320_000)
    assert len(text.encode("utf-8")) > 300_000
    expected = constructed_expectations()["2016-asc-full-report-pdf"]
    for hint in (None, NAME):
        found = read_findings(text, location_name=hint)
        assert found.breaches == expected["breaches"]
        assert list(found.regulations) == expected["regulations"]
        assert found.special_measures == expected["special_measures"]
        assert list(found.enforcement) == expected["enforcement"]
        assert found.summary == read_findings(plain, location_name=hint).summary
