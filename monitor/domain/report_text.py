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
from collections.abc import Iterator
from dataclasses import dataclass

from monitor.domain.text_blocks import (
    SECTION_START,
    SOFT_BREAK,
    TERMINAL,
    Block,
    Sentence,
    blocks,
    holds_any,
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
    "\u00ad": "",
    "\u2028": "\n",
    "\u2029": "\n\n",
}
_ASCII_SPACING = (("\r\n", "\n"), ("\r", "\n"), ("\f", "\n\n"), ("\v", "\n"), ("\t", " "))
_CUT = "\x00"  # where a footer was taken out (control characters are gone by then)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile("  [ ]*")  # two spaces, then any more: a literal prefix is quick to find
_C0_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])

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
_KIND_HEADS = ("nspection", "uality", "ssessment", "vidence")
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
_DIGITS = frozenset("0123456789")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
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
        text = _plain(text)
        # NFKC makes ligatures, non-breaking and full-width characters plain; it may make
        # some of the characters replaced above, so they are replaced again.
        normal = unicodedata.normalize("NFKC", text)
        if normal != text:
            text = _plain(normal)
    if _has_control(text):
        text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text) if "  " in text else text


def _has_control(text: str) -> bool:
    """Whether ``text`` holds a control character, asked of its bytes: quicker than an
    expression. A C1 control is encoded after a 0xC2 byte, as "£" is: only then the slow way."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw.translate(None, _C0_BYTES)) != len(raw):
        return True
    return b"\xc2" in raw and _CONTROL.search(text) is not None


def _plain(text: str) -> str:
    if "\u00ad\n" in text:  # a soft hyphen at a line end: the word goes on
        text = text.replace("\u00ad\n", "")
    # A few of these characters in a text at most: a search and a replace each is quicker
    # than one expression calling back for every match.
    for old, new in _REPLACE.items():
        if old in text:
            text = text.replace(old, new)
    return text


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
            # "report" is everywhere; "Inspection report" followed by a date is a footer.
            if not holds_any(text[start:at], _KIND_HEADS):
                at = text.find(word, at + len(word))
                continue
            found = _KIND_DATE.search(text, start, at + 80)
            if found is not None and found.start() <= at:
                begin = found.start()
                spans.append((begin - _name_before(text, begin), found.end()))
            at = text.find(word, at + len(word))
    return spans


def _own_name_footers(text: str, name: str) -> list[tuple[int, int]]:
    """The location's own name as a header or footer, with a date (and a page number)."""
    spans = []
    for at in _name_places(text, name.lower()):
        after = _AFTER_NAME.match(text, at + len(name))
        if after is not None:
            before = text[max(0, at - 6) : at]
            page = _PAGE_BEFORE.search(before)
            spans.append((at - (len(before) - page.start()) if page else at, after.end()))
    return spans


def _name_places(text: str, wanted: str) -> Iterator[int]:
    """Where ``wanted`` (lower case) is in ``text``, in any case. Its first word but the first
    letter, in lower or upper case, is looked for ("enley", "ENLEY"): quicker than lowering
    the whole text, and a name is written Title Case, lower or upper case."""
    tail = wanted.split(" ", 1)[0][1:]
    if len(tail) < 3 or not tail.isalpha():
        lowered = text.lower()
        if len(lowered) == len(text):  # else a lower case was longer: positions differ
            at = lowered.find(wanted)
            while at != -1:
                yield at
                at = lowered.find(wanted, at + len(wanted))
        return
    places = []
    for anchor in {tail, tail.upper()}:
        at = text.find(anchor, 1)
        while at != -1:
            if text[at - 1 : at - 1 + len(wanted)].lower() == wanted:
                places.append(at - 1)
            at = text.find(anchor, at + len(anchor))
    yield from sorted(places)


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
    ("Page 3", "Page 4") and as ASCII bytes, which are quick to map. (Thousands of lines: the
    few that need a closer look are picked out first, in comprehensions.)"""
    shaped = text.encode("utf-8", "surrogatepass").translate(_SHAPE)
    lines = [line.strip() for line in text.split("\n")]
    gone = [False] * len(lines)
    if _CUT in text:
        shaped = shaped.replace(_CUT.encode(), b" ")
        for index in [index for index, line in enumerate(lines) if _CUT in line]:
            line = lines[index]
            # A line that held nothing but a footer goes altogether.
            gone[index] = not line.strip(_CUT + " ")
            lines[index] = line.replace(_CUT, " ").strip()
    shapes = [shape.strip() for shape in shaped.split(b"\n")]
    name = " ".join((location_name or "").split()).lower().encode("utf-8", "surrogatepass")
    counts = Counter(shapes)
    repeated = {shape for shape, count in counts.items() if count > 1 and shape}
    # Most lines are unique prose: only a repeated line or a number can be furniture.
    candidates = [
        index
        for index, line in enumerate(lines)
        if (shapes[index] in repeated or (len(line) <= 16 and line[:1] in _PAGE_START)) and line
    ]
    judged: dict[bytes, bool] = {}  # lines of one shape are furniture alike
    for index in candidates:
        if gone[index]:
            continue
        shape = shapes[index]
        verdict = judged.get(shape)
        if verdict is None:
            verdict = judged[shape] = _furniture(lines[index], shape, counts, name)
        gone[index] = verdict
    return [
        line if line and line[0] not in _DIGITS else _kept(line, index, gone)
        for index, line in enumerate(lines)
        if not gone[index]
    ]


def _kept(line: str, index: int, gone: list[bool]) -> str:
    """A blank line (a page break's, next to furniture, or a paragraph's end) or a line
    starting with a digit (perhaps a page number before its running header) as kept."""
    if not line:
        return SOFT_BREAK if _next_to(gone, index) else line
    return _LEADING_PAGE.sub("", line)


def _next_to(gone: list[bool], index: int) -> bool:
    return (index > 0 and gone[index - 1]) or (index + 1 < len(gone) and gone[index + 1])


def _furniture(line: str, shape: bytes, counts: Counter[bytes], name: bytes) -> bool:
    if line[:1] in _PAGE_START and len(line) <= 16 and _PAGE_NUMBER.match(line):
        return True
    count = counts[shape]
    named = bool(name) and count > 1 and shape.strip(b"# ") == name
    # A short line that comes back page after page is a running header or footer, unless it
    # holds a finding (checked last: the cheap tests rule most lines out).
    if not named and (count < 3 or len(line) > 150 or line.endswith(".")):
        return False
    return not _SUBSTANCE_BYTES.search(shape)


def _mend_page_breaks(lines: list[str], width: int) -> list[str]:
    """Join a sentence a page break cut: drop the blank lines and short running headers
    between a line that does not end a sentence and the line that goes on with it."""
    repeated = Counter(lines)
    mended: list[str] = []
    short = min(60, 0.6 * width)  # a longer line is no gap (see _interrupting)
    index = 0
    while index < len(lines):
        line = lines[index]
        if len(line) > short:  # most lines: prose, not a gap
            mended.append(line)
            index += 1
            continue
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
    page break, after a comma, or where two lines as wide as the page meet (a paragraph's
    last line ends its sentence, and a line after a break that starts a section is a
    heading)."""
    if not following:
        return False
    if following[:1].islower() or following[:1] in _CONTINUING or runs_on(previous):
        return True
    if furniture and previous.endswith(","):  # "regulations 12," / footer / "17 and 18"
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
    lowered = ""  # the text in lower case, made when a compound first needs it
    compounds: dict[str, bool] = {}  # a report breaks the same words again and again
    pieces: list[str] = []
    kept = 0
    while at != -1:
        start = _word_start(text, at)
        tail = _WORD_AFTER.match(text, at + 2)
        if start < at and tail is not None:
            head = text[start:at]
            compound = False
            if head.lower() in _COMPOUND_HEADS:
                lowered = lowered or text.lower()
                word = f"{head}-{tail.group(1)}".lower()
                if word not in compounds:
                    compounds[word] = _compound(word, lowered)
                compound = compounds[word]
            if not compound:
                pieces += [text[kept:start], head + tail.group(1)]
                kept = tail.end()
            else:
                pieces += [text[kept:at], "-"]
                kept = tail.start(1)
        at = text.find("-\n", at + 2)
    pieces.append(text[kept:])
    return "".join(pieces)


def _word_start(text: str, end: int) -> int:
    """Where the word of ASCII letters ending at ``end`` starts (40 letters back at most):
    a walk back over a few letters, quicker than an expression anchored at the end."""
    start = end
    while start > max(0, end - 40) and text[start - 1] in _ASCII_LETTERS:
        start -= 1
    return start


def _compound(word: str, lowered: str) -> bool:
    """Whether a hyphen at a line end is the word's own (``word``: "person-centred", lower
    case): after a head that makes compounds ("person-centred", "well-led", "re-inspect"),
    unless the text spells the word whole. (Only those heads are looked up in the text: a
    search per hyphen would cost more than the rest of the reading.)"""
    return word in lowered or word.replace("-", "", 1) not in lowered
