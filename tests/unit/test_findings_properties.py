"""Property-based tests of the findings reader: any text at all is read without raising and
gives findings of the contract's shape; and the real excerpts, laid out in ways the reader has
never seen (any page width, page length, kind of running header or footer, hyphenation, odd
spaces and quotes), read exactly as the plain excerpts do."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain.findings import SPECIAL_MEASURES, read_findings
from monitor.domain.findings_actions import ENFORCEMENT
from tests.support.report_texts import EXCERPTS, real_excerpt

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Words the rules look for, so that random text reaches them and not only the summary.
RULE_WORDS = [
    "breach", "breaches", "regulation 12", "regulations 9, 12 and 17", "special measures",
    "no longer", "remains", "placed", "warning notice", "urgent action", "conditions",
    "registration", "cancel", "suspend", "prosecuted", "fixed penalty", "requirement notice",
    "At our last inspection", "At this inspection", "We found", "three", "a", "not", "if",
    "The enforcement action we took:", ".", ":", ";", "\n", "\n\n", "-\n", "Page 3 of 9",
    "2 Oak Lodge Inspection report 4 May 2021", "\uf0b7", "\u2019", "\u00ad", "\x00", "\ud800",
    "regulation 17b", "Reg. \u1b51", "The table below shows",
    "Regulation 12 HSCA RA Regulations 2014",
    "These related to", "following regulations:\n\u2022", "Date of inspection visit: 4 May 2021",
    "inspection of this service on 3 June 2020", "Requirements notice", "Are services safe?",
    "including 2", "2 continued and 1 new breach", "not in breach of any regulations",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(RULE_WORDS), st.text(max_size=12)), max_size=80).map(
        " ".join
    ),
)


def assert_contract(text: str, name: str | None = None) -> None:
    found = read_findings(text, location_name=name)
    assert found.breaches is None or (isinstance(found.breaches, int) and found.breaches >= 0)
    assert found.special_measures in (None, *SPECIAL_MEASURES)
    assert set(found.enforcement) <= set(ENFORCEMENT)
    assert all(label.startswith("Regulation ") for label in found.regulations)
    assert found.summary is None or 0 < len(found.summary) <= 600
    found.to_dict()  # always serialisable as the event's details


@PROPERTY_SETTINGS
@given(texts, st.one_of(st.none(), st.text(max_size=30)))
def test_any_text_is_read_without_raising(text: str, name: str | None) -> None:
    assert_contract(text, name)


@PROPERTY_SETTINGS
@given(st.binary(max_size=600))
def test_any_bytes_decoded_as_a_server_might_are_read_without_raising(data: bytes) -> None:
    assert_contract(data.decode("utf-8", "surrogateescape"))
    assert_contract(data.decode("cp1252", "replace"))


FOOTERS = [
    "{page} {name} Inspection report {long}",
    "{name} Inspection report {long} {page}",
    "{page} {name} Quality Report {short}",
    "Page {page} of {pages}",
    "{name}\nPage {page} of {pages}",
    "{page}",
    "- {page} -",
]
HEADERS = ["", "Summary of findings", "{name}", "{page} Summary of findings"]


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, str]:
    """(excerpt name, its text laid out as some PDF extract might be): a cover page, then the
    words wrapped at some width, pages of some length, a running header on every page of them
    and a footer on every page, blank lines around the furniture or not."""
    name = draw(st.sampled_from(EXCERPTS))
    width = draw(st.integers(60, 110))
    per_page = draw(st.integers(6, 40))
    footer = draw(st.sampled_from(FOOTERS))
    header = draw(st.sampled_from(HEADERS))
    blank = draw(st.sampled_from(["", "\n"]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = _wrapped(real_excerpt(name), width, rng)
    cover = ["Oak Lodge", "Inspection report", "Date of publication: 4 May 2021"]
    pages = [cover, *(lines[at : at + per_page] for at in range(0, len(lines), per_page))]
    place = {"name": "Oak Lodge", "long": "4 May 2021", "short": "04/05/2021", "pages": len(pages)}
    out: list[str] = []
    for number, page in enumerate(pages, start=1):
        if header and number > 1:
            out.append(header.format(page=number, **place) + blank)
        out += page
        out.append(blank + footer.format(page=number, **place))
    return name, "\n".join(out)


def _wrapped(text: str, width: int, rng: random.Random) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            word = _odd(word, rng)
            if not line or len(line) + 1 + len(word) <= width:
                line = f"{line} {word}" if line else word
                continue
            room = width - len(line) - 2
            if word.isalpha() and len(word) >= 8 and room >= 4 and rng.random() < 0.5:
                cut = min(room, len(word) - 3)
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _odd(word: str, rng: random.Random) -> str:
    """Now and then a non-breaking or zero-width space, or a curly quote, as PDFs have them."""
    roll = rng.random()
    if roll < 0.03:
        return word + "\u00a0"
    if roll < 0.05:
        return "\u200b" + word
    return word.replace("'", "\u2019") if roll < 0.5 else word


@PROPERTY_SETTINGS
@given(layouts())
def test_an_excerpt_in_any_pdf_layout_reads_as_the_plain_excerpt(laid_out: tuple[str, str]) -> None:
    name, text = laid_out
    plain = read_findings(real_excerpt(name))
    for hint in (None, "Oak Lodge"):
        found = read_findings(text, location_name=hint)
        assert found.breaches == plain.breaches
        assert found.regulations == plain.regulations
        assert found.special_measures == plain.special_measures
        assert found.enforcement == plain.enforcement
    # Told the location's name (as the monitor always is), even a name alone as the running
    # header of a two-page report is told from the prose: the summary starts the same.
    found = read_findings(text, location_name="Oak Lodge")
    assert found.summary is not None and plain.summary is not None
    first = plain.summary.split(". ")[0]
    assert found.summary.startswith(first[:60]), (found.summary[:120], first[:120])
