"""Lines of clean report text into paragraphs, headings and sentences. Pure.

A PDF extract breaks every paragraph into lines of the page's width; a web page or a narrative
field gives a paragraph per line. Either way a paragraph ends at a blank line, at a short line
that ends a sentence, or before a heading: a short line without closing punctuation that a
capitalised line follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINAL = (".", "!", "?", ":", ";")
_BULLET = re.compile(r"^(?:\u2022|[-*–]|\(?[a-z0-9]{1,2}[.)])\s+")
_HEADING_NEXT = "\u2022\"'(0123456789"


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, a bullet item, or a heading (a short line standing alone)."""

    text: str
    heading: bool = False


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    block: int  # index of its block
    heading: bool = False


def blocks(lines: list[str]) -> list[Block]:
    widths = sorted(len(line) for line in lines if len(line) >= 30)
    full = widths[int(len(widths) * 0.8)] if widths else 80
    following = _following(lines)
    found: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            found.append(Block(" ".join(current)))
            current.clear()

    for index, line in enumerate(lines):
        if not line:
            flush()
            continue
        if line.startswith("\u2022") or (not current and line[:1] in "-*–(0123456789"):
            bullet = _BULLET.match(line)
            if bullet is not None:
                flush()
                line = line[bullet.end() :] if line.startswith("\u2022") else line
        ended = not current or current[-1].endswith(TERMINAL)
        if ended and _heading(line, full, following[index]):
            flush()
            found.append(Block(line, heading=True))
            continue
        current.append(line)
        if line.endswith(TERMINAL) and len(line) < 0.8 * full:
            flush()
    flush()
    return [block for block in found if block.text]


def _following(lines: list[str]) -> list[str]:
    """For each line, the next line with text (or "")."""
    after: list[str] = [""] * len(lines)
    nearest = ""
    for index in range(len(lines) - 1, -1, -1):
        after[index] = nearest
        if lines[index]:
            nearest = lines[index]
    return after


def _heading(line: str, full: int, following: str) -> bool:
    if line.endswith((*TERMINAL, ",")) or len(line) > min(0.7 * full, 120):
        return False
    if line.count(" ") >= 15:
        return False
    return not following or following[:1].isupper() or following[:1] in _HEADING_NEXT


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\u2022])")
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
            result.append(Sentence(block.text, index, heading=True))
            continue
        result.extend(Sentence(text, index) for text in split_sentences(block.text))
    return result


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; an abbreviation ("e.g.", "Reg.") does not end one."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        space = text.rfind(" ", start, match.start())
        last = text[space + 1 : match.start()].casefold().rstrip(".")
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        parts.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [part for part in parts if part]
