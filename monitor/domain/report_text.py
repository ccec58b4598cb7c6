"""Report text made readable: a PDF text extract, a web page's text or a narrative field in,
blocks and sentences out (SPEC §2.3). Pure; linear in the length of the text.

A PDF extract breaks sentences at every line, hyphenates words across lines, and interrupts
the prose with page furniture: page numbers, "Page 3 of 12", running headers and footers such
as "4 Henley House Inspection report 20 April 2022". Typography varies too: curly quotes,
ligatures, non-breaking and zero-width spaces, bullets of every shape. All of that is undone
here, so the findings rules read one sentence as one string whatever the source looked like.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from monitor.domain.text_blocks import (
    SECTION_START,
    SOFT_BREAK,
    TERMINAL,
    Block,
    Sentence,
    blocks,
    page_width,
    runs_on,
    sentences,
)

_REPLACE = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2212", "-"),
    **dict.fromkeys("\u2014\u2015", "\u2013"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
    # Bullets of every font, the Symbol-font ones of Word PDFs included, start a line.
    **dict.fromkeys("\u2022\u25cf\u25e6\u25aa\u25a0\u2023\u2043\uf0b7\uf0a7", "\n\u2022 "),
    "\u00ad\n": "",  # a soft hyphen at a line end: the word goes on
    "\u00ad": "",
    "\u2028": "\n",
    "\u2029": "\n\n",
}
_SPECIAL = re.compile("\u00ad\n|[" + "".join(key for key in _REPLACE if len(key) == 1) + "]")
_ASCII_SPACING = (("\r\n", "\n"), ("\r", "\n"), ("\f", "\n\n"), ("\v", "\n"), ("\t", " "))
_CUT = "\x00"  # where a footer was taken out (control characters are gone by then)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

_DATE = r"\d{1,2}(?:[/.]\d{1,2}[/.]\d{2,4}|(?:st|nd|rd|th)?\s+[A-Z][a-z]{2,8}\.?\s+\d{4})"
_REPORT_KIND = (
    r"(?:Quality\s+Report|[Ii]nspection\s+[Rr]eport|Evidence\s+appendix|[Aa]ssessment\s+report"
    r"|[Ii]nspection\s+summary|Inspection\s+Evidence\s+Table)"
)
# Running footers ("4 Henley House Inspection report 20 April 2022", "Hinchingbrooke Hospital
# Quality Report 09/01/2015 3") are found by their date, which few positions can start, then
# extended back over the kind of report and the name: a search trying every word as the start
# of a name would cost more than all the rest of the reading.
_KIND_DATE = re.compile(rf"{_REPORT_KIND}\s+{_DATE}(?:[^\S\n]+\d{{1,4}}(?=\s|$))?")
_KIND_WORDS = ("eport", "ppendix", "ummary", "Table")
_PAGE_OF = re.compile(r"Page\s+\d{1,4}\s+(?:of|/)\s+\d{1,4}\b")
_NAME_WORD = r"(?:[A-Z0-9][\w'&()/-]*|of|and|the|on|upon|in|at|de|la|for|le)"
# Found from where the page number or name starts: the space before it stays in the text.
_NUMBERED_NAME = re.compile(rf"(?<!\S)\d{{1,4}}\s+(?:{_NAME_WORD}\s+){{1,14}}$")
_NAME = re.compile(rf"(?<!\S)(?:{_NAME_WORD}\s+){{1,14}}$")
# A footer wrapped onto two lines: only capitalised words between its page number and kind.
_WRAPPED_NAME = re.compile(r"(?<!\S)\d{1,4}\s+(?:[A-Z][\w'&()/-]*\s+){1,14}$")
_AFTER_NAME = re.compile(rf"(?:\s+{_REPORT_KIND})?\s+{_DATE}(?:[^\S\n]+\d{{1,4}}(?=\s|$))?")
_PAGE_START = frozenset("-–|0123456789Pp")
_CONTINUING = frozenset("([{,;:)")
_PAGE_BEFORE = re.compile(r"(?<!\S)\d{1,4}[^\S\n]+$")
_PAGE_NUMBER = re.compile(r"^[-–|\s]*(?:page\s+)?\d{1,4}[-–|\s]*$", re.IGNORECASE)
# Lines with these words are never running furniture: they are what the findings are read from.
_SUBSTANCE = re.compile(
    r"breach|regulation|special measures|notice|enforcement|condition|suspen|cancel|prosecut"
    r"|penalty"
)
_SUBSTANCE_BYTES = re.compile(_SUBSTANCE.pattern.encode())
# Digits to "#", capitals to lower case (ASCII: enough to compare lines).
_SHAPE = bytes.maketrans(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"##########abcdefghijklmnopqrstuvwxyz"
)
# A page number at the start of a page, before its running header ("2 Summary of findings").
_LEADING_PAGE = re.compile(
    r"^\d{1,3}\s+(?=(?:Summary|Overall|Detailed|Our|Findings|Outstanding|Action|Enforcement"
    r"|Requirement|Background|Why|How|Facts|Are|Is|Ratings|Inspection|Letter|Contents|About"
    r"|People|Key|Services|Areas)\b)"
)
_WORD_BEFORE = re.compile(r"[A-Za-z]+$")
_WORD_AFTER = re.compile(r" *([a-z]+)")
# A hyphen at a line end after one of these is part of the word: "person-centred", "well-led".
_COMPOUND_HEADS = frozenset(
    [
        "person",
        "well",
        "self",
        "non",
        "co",
        "re",
        "pre",
        "post",
        "multi",
        "long",
        "short",
        "full",
        "part",
        "high",
        "low",
        "day",
        "end",
        "first",
        "second",
        "third",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "age",
        "care",
        "risk",
        "user",
        "life",
        "face",
        "follow",
        "up",
        "service",
        "sub",
        "cross",
        "inter",
        "over",
        "under",
        "out",
    ]
)


@dataclass(frozen=True, slots=True)
class Prepared:
    blocks: tuple[Block, ...]
    sentences: tuple[Sentence, ...]


def prepare(text: str, *, location_name: str | None = None) -> Prepared:
    """``text`` without page furniture, as blocks and sentences."""
    clean = _drop_footers(normalise(text), " ".join((location_name or "").split()))
    lines = _drop_furniture_lines(clean, location_name)
    joined = _join_hyphenation("\n".join(_mend_page_breaks(lines, page_width(lines))))
    found = tuple(blocks(joined.split("\n")))
    return Prepared(found, tuple(sentences(found)))


def normalise(text: str) -> str:
    """One spelling of every character that matters: quotes, dashes, bullets, spaces."""
    for old, new in _ASCII_SPACING:
        if old in text:
            text = text.replace(old, new)
    if not text.isascii():
        text = _SPECIAL.sub(_replacement, text)
        # NFKC makes ligatures, non-breaking and full-width characters plain; it may make
        # some of the characters replaced above, so they are replaced again.
        plain = unicodedata.normalize("NFKC", text)
        if plain != text:
            text = _SPECIAL.sub(_replacement, plain)
        text = _CONTROL.sub(" ", text)
    elif _ASCII_CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    while "  " in text:  # quicker than a regular expression: runs are short
        text = text.replace("  ", " ")
    return text


def _replacement(match: re.Match[str]) -> str:
    return _REPLACE[match.group()]


def _drop_footers(text: str, name: str) -> str:
    """``text`` with every running footer replaced by a mark (``_CUT``)."""
    spans = [match.span() for match in _PAGE_OF.finditer(text)]
    spans += _own_name_footers(text, name) if len(name) >= 4 else []
    spans += _report_footers(text)
    if not spans:
        return text
    pieces: list[str] = []
    kept = 0
    for start, end in sorted(spans):
        if start < kept:
            continue
        pieces += [text[kept:start], _CUT]
        kept = end
    pieces.append(text[kept:])
    return "".join(pieces)


def _report_footers(text: str) -> list[tuple[int, int]]:
    """ "3 Henley House Inspection report 4 November 2025": found by the kind of report, which
    few places name, then extended back over the name and its page number."""
    spans = []
    for word in _KIND_WORDS:
        at = text.find(word)
        while at != -1:
            start = max(0, at - 24)
            found = _KIND_DATE.search(text, start, at + 80)
            if found is not None and found.start() <= at:
                begin = found.start()
                spans.append((begin - _name_before(text, begin), found.end()))
            at = text.find(word, at + len(word))
    return spans


def _own_name_footers(text: str, name: str) -> list[tuple[int, int]]:
    """The location's own name as a header or footer, with a date (and a page number)."""
    lowered, wanted = text.lower(), name.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: positions differ
        return []
    spans = []
    at = lowered.find(wanted)
    while at != -1:
        after = _AFTER_NAME.match(text, at + len(wanted))
        if after is not None:
            before = text[max(0, at - 6) : at]
            page = _PAGE_BEFORE.search(before)
            spans.append((at - (len(before) - page.start()) if page else at, after.end()))
        at = lowered.find(wanted, at + len(wanted))
    return spans


def _name_before(text: str, end: int) -> int:
    """How many characters before ``end`` are the footer's name and page number: on its own
    line, else from the line before when the footer was wrapped ("... Good 1 Marsh Lane\n
    Hospital Quality Report 12/01/2015")."""
    line_start = text.rfind("\n", 0, end) + 1
    window = text[max(line_start, end - 160) : end]
    found = _NUMBERED_NAME.search(window)
    if found is not None:
        return len(window) - found.start()
    previous_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    wrapped = text[max(previous_start, end - 160) : end]
    found = _WRAPPED_NAME.search(wrapped)
    if found is not None and wrapped.count("\n", found.start()) == 1:
        return len(wrapped) - found.start()
    found = _NAME.search(window)
    return len(window) - found.start() if found else 0


def _drop_furniture_lines(text: str, location_name: str | None) -> list[str]:
    """The lines without running headers, footers and page numbers, and without the blank
    lines around them: a page break is no paragraph break. Lines are compared digits aside
    ("Page 3", "Page 4") and as ASCII bytes, which are quick to map."""
    raw = text.split("\n")
    shaped = text.encode("utf-8", "surrogatepass").translate(_SHAPE).split(b"\n")
    name = " ".join((location_name or "").split()).lower().encode("utf-8", "surrogatepass")
    lines, shapes, gone = [], [], []
    for line, shape in zip(raw, shaped, strict=True):
        cut = _CUT in line
        if cut:
            line, shape = line.replace(_CUT, " "), shape.replace(b"\x00", b" ")
        lines.append(line.strip())
        shapes.append(shape.strip())
        gone.append(cut and not lines[-1])  # nothing but a footer
    counts = Counter(shapes)
    for index, (line, shape) in enumerate(zip(lines, shapes, strict=True)):
        start = line[:1]
        # Most lines are unique prose: only a repeated line or a number can be furniture.
        if (counts[shape] > 1 and line) or start in _PAGE_START:
            gone[index] = gone[index] or _furniture(line, shape, counts, name)
    return [
        SOFT_BREAK if not line and _next_to(gone, index) else _unnumbered(line)
        for index, line in enumerate(lines)
        if not gone[index]
    ]


def _unnumbered(line: str) -> str:
    return _LEADING_PAGE.sub("", line) if line[:1].isdigit() else line


def _next_to(gone: list[bool], index: int) -> bool:
    return (index > 0 and gone[index - 1]) or (index + 1 < len(gone) and gone[index + 1])


def _furniture(line: str, shape: bytes, counts: Counter[bytes], name: bytes) -> bool:
    if line[:1] in _PAGE_START and _PAGE_NUMBER.match(line):
        return True
    count = counts[shape]
    if count < 2 or _SUBSTANCE_BYTES.search(shape):
        return False
    if name and shape.strip(b"# ") == name:
        return True
    # A short line that comes back page after page is a running header or footer.
    return count >= 3 and len(line) <= 150 and not line.endswith(".")


def _mend_page_breaks(lines: list[str], width: int) -> list[str]:
    """Join a sentence a page break cut: drop the blank lines and short running headers
    between a line that does not end a sentence and the line that goes on with it."""
    repeated = Counter(lines)
    mended: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        previous = mended[-1] if mended else ""
        if _unfinished(previous) and _gap(line, width):
            after = index
            while after < len(lines) and after < index + 5 and _gap(lines[after], width):
                after += 1
            following = lines[after] if after < len(lines) else ""
            # Only blank lines and headers seen on other pages too: a page break, nothing more.
            furniture = all(_blank(ln) or repeated[ln] > 1 for ln in lines[index:after])
            if _goes_on(previous, following, width, furniture):
                index = after
                continue
        mended.append(line)
        index += 1
    return mended


def _blank(line: str) -> bool:
    return not line or line == SOFT_BREAK


def _gap(line: str, width: int) -> bool:
    return _blank(line) or _interrupting(line, width)


def _goes_on(previous: str, following: str, width: int, furniture: bool) -> bool:
    """Whether ``following`` continues the sentence ``previous`` left unfinished: it goes on
    in lower case or with punctuation, or after a word no sentence ends with; or, across a
    page break, two lines as wide as the page meet (a paragraph's last line ends its
    sentence, and a line after a break that starts a section is a heading)."""
    if not following:
        return False
    if following[:1].islower() or following[:1] in _CONTINUING or runs_on(previous):
        return True
    full = len(previous) >= 0.85 * width and len(following) >= 0.6 * width
    return furniture and full and not SECTION_START.match(following)


def _unfinished(line: str) -> bool:
    """A line that does not end a sentence (";" and ":" go on, into a list or a clause)."""
    return not _blank(line) and not line.endswith((".", "!", "?"))


def _interrupting(line: str, width: int) -> bool:
    """A running header or footer left in a sentence: short (a line of the sentence itself
    fills most of the page's width), capitalised or numbered, no sentence end, no finding."""
    return (
        len(line) <= min(60, 0.6 * width)
        and (line[:1].isupper() or line[:1].isdigit())
        and not line.endswith(TERMINAL)
        and not _SUBSTANCE.search(line.casefold())
    )


def _join_hyphenation(text: str) -> str:
    """Undo hyphenation at line ends; keep the hyphen of a compound ("person-centred")."""
    at = text.find("-\n")
    if at == -1:
        return text
    lowered = text.lower()
    pieces: list[str] = []
    kept = 0
    while at != -1:
        head = _WORD_BEFORE.search(text, max(0, at - 40), at)
        tail = _WORD_AFTER.match(text, at + 2)
        if head is not None and tail is not None:
            word = head.group(0) + tail.group(1)
            if not _compound(head.group(0), tail.group(1), lowered):
                pieces += [text[kept : head.start()], word]
                kept = tail.end()
            else:
                pieces += [text[kept:at], "-"]
                kept = tail.start(1)
        at = text.find("-\n", at + 2)
    pieces.append(text[kept:])
    return "".join(pieces)


def _compound(head: str, tail: str, lowered: str) -> bool:
    whole = f"{head}{tail}".lower()
    if f"{head}-{tail}".lower() in lowered:
        return True
    return head.lower() in _COMPOUND_HEADS and whole not in lowered
