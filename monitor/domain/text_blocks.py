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
_NOT_HEADING_END = (*TERMINAL, ",")
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
    item: bool = False  # it started with a bullet


class Sentence(NamedTuple):
    text: str
    block: int  # index of its block
    heading: bool = False
    passage: int = 0
    item: bool = False  # of a bullet item


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


def holds_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words``: a loop, quicker than any() over a generator,
    for the checks the reader makes on every sentence."""
    for word in words:  # noqa: SIM110 (the loop is the point, as said above)
        if word in text:
            return True
    return False


def runs_on(line: str) -> bool:
    """Whether a line ends in a word a sentence cannot end with ("of", "the", "and"...)."""
    return line.rsplit(" ", 1)[-1].lower() in RUNS_ON


def page_width(lines: list[str]) -> int:
    """How long a full line of the text is: most lines of a paragraph are about that long."""
    widths = sorted(len(line) for line in lines if len(line) >= 30)
    return widths[int(len(widths) * 0.8)] if widths else 80


def blocks(lines: list[str]) -> list[Block]:
    full = page_width(lines)
    # The first line of a paragraph that wraps is near the page's width; a heading is not
    # (most lines are ruled out by their length alone).
    limit = min(0.85 * full, 120)
    ends_block = 0.8 * full
    following = _following(lines)
    found: list[Block] = []
    current: list[str] = []
    passage = 0
    item = False

    def flush(hard: bool) -> None:
        nonlocal passage, item
        if current:
            found.append(Block(" ".join(current), False, passage, item))
            current.clear()
        passage += hard
        item = False

    for index, line in enumerate(lines):
        if not line or line == SOFT_BREAK:
            flush(hard=not line)
            continue
        bullet = None
        if line[0] == "\u2022" or (not current and line[0] in "-*–(0123456789"):
            bullet = _BULLET.match(line)
            if bullet is not None:
                flush(hard=False)
                item = True
                line = line[bullet.end() :] if line[0] == "\u2022" else line
        short = len(line) <= limit
        # A bullet item, however short, is one of a list, not a heading.
        if (
            short
            and bullet is None
            and (not current or current[-1].endswith(TERMINAL))
            and _heading(line, following[index])
        ):
            flush(hard=True)
            found.append(Block(line, True, passage))
            passage += 1
            continue
        current.append(line)
        if line.endswith(TERMINAL) and len(line) < ends_block:
            flush(hard=False)
        elif bullet is not None and short and _heading(line, following[index]):
            flush(hard=False)  # a short item standing alone: the list's next line is not in it
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


def _heading(line: str, following: str) -> bool:
    """Whether a line short enough to be a heading is one."""
    if line.endswith(_NOT_HEADING_END) or line.count(" ") >= 11 or runs_on(line):
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
    append = result.append  # (positional arguments: a report has thousands of sentences)
    for index, block in enumerate(found):
        if block.heading:
            append(Sentence(block.text, index, True, block.passage, False))
            continue
        passage, item = block.passage, block.item
        for text in split_sentences(block.text):
            append(Sentence(text, index, False, passage, item))
    return result


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; an abbreviation ("e.g.", "Reg.") does not end one."""
    # [words, end, words, end, ..., words]: split in one call, then joined again after
    # an abbreviation.
    pieces = _SENTENCE_END.split(text)
    if len(pieces) == 1:
        text = text.strip()
        return [text] if text else []
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
