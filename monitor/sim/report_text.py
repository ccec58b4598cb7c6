"""Report text for ``/reports/{linkId}``, as a PDF text extract comes out (SPEC §2.3).

Every report's words come from the real excerpts of CQC reports in ``data/report-*.txt``
(shared/data/cqc/report-text/), the only real wording available: a report is given the excerpt
that reads like its rating (an Inadequate report says what an Inadequate report says), or the
ones a test names. They are laid out the way ``pdftotext`` gives a CQC PDF back: a cover page,
lines wrapped at the page's width, long words hyphenated across lines, a double space here and
there, and page furniture — page numbers, "3 Henley House Inspection report 4 November 2025",
"Page 2 of 4", running headers — inline wherever a page ends, mid-sentence or not.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from monitor.sim.pages import long_date

EXCERPTS = ("01a", "03a", "03b", "03c", "03d", "03e", "04a", "04b", "05a", "05b", "05c")
# The excerpts that read like a report of each overall rating (None: Good, Outstanding, none).
_BY_RATING: dict[str | None, tuple[str, ...]] = {
    "Inadequate": ("05a", "05b", "05c", "03c", "03e", "01a"),
    "Requires improvement": ("04a", "03a", "03d"),
    None: ("04b", "03b"),
}
_ASSESSMENTS = frozenset({"04a", "04b", "05a", "05b", "05c"})
_HOSPITAL = frozenset({"01a", "03e"})
_BACKGROUND = "03b"  # "Background to this inspection": the closing section of older reports
_WIDTH = 92
_LINES_PER_PAGE = 30
# Lines of the website's pages some excerpts were copied from; a PDF has none of them.
_WEBSITE_ONLY = re.compile(
    r"^(?:Latest inspection summary|On this page|Updated \d{1,2} \w+ \d{4}|All Inspections"
    r"|Important: |Provided and run by:|Overall: .*read more about inspection ratings|Contents"
    r"|[•-] )"
)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What a report's cover says, from the location document."""

    link_id: str
    name: str
    address: str
    published: str  # ISO date
    visited: str | None
    rating: str | None  # the overall rating the report gave, when known


@cache
def excerpt(name: str) -> str:
    """An excerpt's words, without the lines saying where it came from."""
    raw = resources.files("monitor.sim").joinpath("data", f"report-{name}.txt").read_text("utf-8")
    lines = raw.split("\n")
    while lines and (lines[0].startswith(("source:", "note:")) or not lines[0].strip()):
        lines.pop(0)
    if "Transcription" in lines[:4]:  # the third-party site's own title above the PDF's text
        lines = lines[lines.index("Transcription") + 1 :]
    return "\n".join(lines).strip()


def chosen_excerpts(facts: ReportFacts) -> tuple[str, ...]:
    """The excerpt a report of this rating reads like (the same one for the same report)."""
    rating = facts.rating if facts.rating in ("Inadequate", "Requires improvement") else None
    pool = _BY_RATING[rating]
    main = pool[zlib.crc32(facts.link_id.encode()) % len(pool)]
    if main in _ASSESSMENTS or main == _BACKGROUND:
        return (main,)
    return (main, _BACKGROUND)


def compose(
    facts: ReportFacts, names: Sequence[str], width: int | Sequence[int] = _WIDTH
) -> list[list[str]]:
    """The report as pages of lines of ``width`` characters at most (one width per section,
    taken in turn, when several are given), furniture included."""
    rng = random.Random(facts.link_id)
    style = _style(names)
    widths = [width] if isinstance(width, int) else list(width)
    body: list[str] = []
    for index, name in enumerate(names):
        heading = _section_heading(name, style, index)
        if heading:
            body += [heading, ""]
        body += _wrapped(excerpt(name), rng, widths[index % len(widths)])
        body.append("")
    # The cover is a page of its own, as in CQC's PDFs.
    pages = [_cover(facts, style), *_paginate(body)]
    return _furnished(pages, facts, style)


def as_text(pages: Sequence[Sequence[str]]) -> str:
    return "\n".join("\n".join(page) for page in pages) + "\n"


def _style(names: Sequence[str]) -> str:
    if names and names[0] in _ASSESSMENTS:
        return "assessment"
    return "hospital" if names and names[0] in _HOSPITAL else "inspection"


def _section_heading(name: str, style: str, index: int) -> str | None:
    if name == _BACKGROUND:
        return None  # the excerpt carries its own headings
    if index == 0:
        return "Our view of the service" if style == "assessment" else "Summary of findings"
    return None


def _cover(facts: ReportFacts, style: str) -> list[str]:
    kind = {"assessment": "Assessment report", "hospital": "Quality Report"}.get(
        style, "Inspection report"
    )
    lines = [facts.name, facts.address, kind]
    if facts.visited:
        lines.append(f"Date of inspection visit: {long_date(facts.visited[:10])}")
    lines.append(f"Date of publication: {long_date(facts.published[:10])}")
    lines.append("This report describes our judgement of the quality of care at this service.")
    if facts.rating:
        lines += ["Ratings", f"Overall rating for this service   {facts.rating}"]
    return lines


def _wrapped(text: str, rng: random.Random, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if _WEBSITE_ONLY.match(paragraph.strip()):
            continue
        if not paragraph.strip():
            if lines and lines[-1]:
                lines.append("")
            continue
        lines += _wrap(paragraph.split(), rng, width)
    return lines


def _wrap(words: list[str], rng: random.Random, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in words:
        gap = "  " if rng.random() < 0.03 else " "  # justified text leaves wider gaps
        if not line or len(line) + len(gap) + len(word) <= width:
            line = f"{line}{gap}{word}" if line else word
            continue
        head, tail = _hyphenate(word, width - len(line) - 1, rng)
        if head:
            lines.append(f"{line} {head}")
            line = tail
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _hyphenate(word: str, room: int, rng: random.Random) -> tuple[str, str]:
    """Split a word across the line end, as a typesetter might; ("", "") when it does not."""
    if "-" in word[1:-1] and len(word.split("-", 1)[0]) + 1 <= room:
        first, rest = word.split("-", 1)
        return first + "-", rest
    letters = word.rstrip(".,;:!?)'’\"")
    if len(letters) < 8 or not letters.isalpha() or room < 5 or rng.random() < 0.3:
        return "", ""
    cut = min(room - 1, len(letters) - 4)
    return (word[:cut] + "-", word[cut:]) if cut >= 4 else ("", "")


def _paginate(lines: list[str]) -> list[list[str]]:
    return [lines[at : at + _LINES_PER_PAGE] for at in range(0, len(lines), _LINES_PER_PAGE)]


def _furnished(pages: list[list[str]], facts: ReportFacts, style: str) -> list[list[str]]:
    total = len(pages)
    day = long_date(facts.published[:10])
    furnished = []
    for number, page in enumerate(pages, start=1):
        if style == "assessment":
            top = [facts.name] if number > 1 else []
            bottom = [f"Page {number} of {total}"]
        elif style == "hospital":
            top = [f"{number} Summary of findings"] if number > 1 else []
            numeric = date.fromisoformat(facts.published).strftime("%d/%m/%Y")
            bottom = [f"{number} {facts.name} Quality Report {numeric}"]
        else:
            top = ["Summary of findings"] if number > 1 else []
            bottom = [f"{number} {facts.name} Inspection report {day}"]
        furnished.append([*top, *page, *bottom])
    return furnished
