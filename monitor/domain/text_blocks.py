"""Lines of clean report text into paragraphs, headings and sentences. Pure.

A PDF extract breaks every paragraph into lines of the page's width; a web page or a narrative
field gives a paragraph per line. Either way a paragraph ends at a blank line, at a short line
that ends a sentence, or before a heading: a short line without closing punctuation that a
capitalised line follows.
"""

from __future__ import annotations

import re
from typing import NamedTuple

TERMINAL = (".", "!", "?", ":", ";")
# A blank line a page break left: it ends a paragraph, not a passage (what the sentences
# before it spoke of carries over). A control character: text has none by then.
SOFT_BREAK = "\x01"
_BULLET = re.compile(r"^(?:\u2022|[-*–]|\(?[a-z0-9]{1,2}[.)])\s+")
_HEADING_NEXT = "\u2022\"'("
# A line ending in one of these goes on in the next one: it is not a heading.
RUNS_ON = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "between",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "than",
        "that",
        "the",
        "their",
        "to",
        "was",
        "were",
        "which",
        "who",
        "with",
    ]
)


class Block(NamedTuple):
    """A paragraph, a bullet item, or a heading (a short line standing alone)."""

    text: str
    heading: bool = False
    # Blocks that only a short line ending a sentence set apart share a passage: a PDF
    # extract's paragraph ends are guesses, a blank line or a heading is not.
    passage: int = 0


class Sentence(NamedTuple):
    text: str
    block: int  # index of its block
    heading: bool = False
    passage: int = 0


# Headings every era of report opens its sections with: a line starting with one begins
# something new, whatever the line before it looked like.
SECTION_START = re.compile(
    r"(?:Summary of findings|Overall summary|Summary of this inspection|Our view of the service"
    r"|About the service|People's experience of using this service|Letter from the Chief"
    r"|Background to this inspection|Rating at last inspection|Why we inspected|Enforcement"
    r"|Special measures|Follow up|Our findings|Detailed findings|Action we have told"
    r"|Requirement notices|Ratings)\b",
    re.IGNORECASE,
)


def runs_on(line: str) -> bool:
    """Whether a line ends in a word a sentence cannot end with ("of", "the", "and"...)."""
    return line.rsplit(" ", 1)[-1].lower() in RUNS_ON


def page_width(lines: list[str]) -> int:
    """How long a full line of the text is: most lines of a paragraph are about that long."""
    widths = sorted(len(line) for line in lines if len(line) >= 30)
    return widths[int(len(widths) * 0.8)] if widths else 80


def blocks(lines: list[str]) -> list[Block]:
    full = page_width(lines)
    following = _following(lines)
    found: list[Block] = []
    current: list[str] = []
    passage = 0

    def flush(hard: bool) -> None:
        nonlocal passage
        if current:
            found.append(Block(" ".join(current), passage=passage))
            current.clear()
        passage += hard

    for index, line in enumerate(lines):
        if not line or line == SOFT_BREAK:
            flush(hard=not line)
            continue
        if line.startswith("\u2022") or (not current and line[:1] in "-*–(0123456789"):
            bullet = _BULLET.match(line)
            if bullet is not None:
                flush(hard=False)
                line = line[bullet.end() :] if line.startswith("\u2022") else line
        ended = not current or current[-1].endswith(TERMINAL)
        if ended and _heading(line, full, following[index]):
            flush(hard=True)
            found.append(Block(line, heading=True, passage=passage))
            passage += 1
            continue
        current.append(line)
        if line.endswith(TERMINAL) and len(line) < 0.8 * full:
            flush(hard=False)
    flush(hard=True)
    return [block for block in found if block.text]


def _following(lines: list[str]) -> list[str]:
    """For each line, the next line with text (or "")."""
    after: list[str] = [""] * len(lines)
    nearest = ""
    for index in range(len(lines) - 1, -1, -1):
        after[index] = nearest
        if lines[index] and lines[index] != SOFT_BREAK:
            nearest = lines[index]
    return after


def _heading(line: str, full: int, following: str) -> bool:
    # The first line of a paragraph that wraps is near the page's width; a heading is not.
    if line.endswith((*TERMINAL, ",")) or len(line) > min(0.85 * full, 120):
        return False
    if line.count(" ") >= 11 or runs_on(line):
        return False
    return not following or following[:1].isupper() or following[:1] in _HEADING_NEXT


# The end of a sentence, kept (the group), and the spaces after it, which are not.
_SENTENCE_END = re.compile(r"([.!?][\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9\u2022])")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "dr",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "reg",
        "regs",
        "st",
        "vs",
        "approx",
        "incl",
        "fig",
        "para",
        "ltd",
        "co",
        "inc",
        "cf",
        "al",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ref",
    ]
)


def sentences(found: tuple[Block, ...]) -> list[Sentence]:
    result: list[Sentence] = []
    for index, block in enumerate(found):
        if block.heading:
            result.append(Sentence(block.text, index, heading=True, passage=block.passage))
            continue
        result.extend(
            Sentence(text, index, passage=block.passage) for text in split_sentences(block.text)
        )
    return result


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; an abbreviation ("e.g.", "Reg.") does not end one."""
    # [words, end, words, end, ..., words]: split in one call, then joined again after
    # an abbreviation.
    pieces = _SENTENCE_END.split(text)
    parts: list[str] = []
    current = ""
    for index in range(0, len(pieces) - 1, 2):
        words = pieces[index]
        last = words[words.rfind(" ") + 1 :].casefold().rstrip(".")
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            current += words + pieces[index + 1] + " "
            continue
        parts.append((current + words + pieces[index + 1]).strip())
        current = ""
    parts.append((current + pieces[-1]).strip())
    return [part for part in parts if part]
