"""Parse a CQC website location page (``/location/{id}/reports``, SPEC §2.2).

The HTML becomes line-oriented text first (selectolax/Lexbor): page furniture (scripts, nav,
site header and footer, cookie banners, asides) is dropped, inline elements are unwrapped and
every other element separates lines, much as a browser lays the page out. Every field is then
read from that text, so a markup change that keeps the words in place does not break it.
Pure: no HTTP here.

A page that is empty, not HTML, above ``MAX_PAGE_BYTES`` (3 MiB; real pages are a few hundred
KB) or without a recognisable "All inspections" timeline raises ``MalformedResponseError``: an
empty timeline would read as "CQC deleted every inspection".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.domain.ratings import NON_RATINGS, SCALE, canonical_rating
from monitor.domain.snapshot import TimelineEntry
from monitor.errors import MalformedResponseError
from monitor.sources.site_dates import parse_site_date

MAX_PAGE_BYTES = 3 * 1024 * 1024
# Summaries go into snapshots and alerts; full reports stay on the website.
MAX_SUMMARY_CHARS = 2000
# Lines tolerated between the heading and the first entry (filters, result counts).
_PREAMBLE_LINES = 10


@dataclass(frozen=True, slots=True)
class LocationPage:
    name: str
    archived: bool
    overall_rating: str | None
    provider: str | None
    provider_changed: str | None  # the notice as written, when the provider changed
    timeline: tuple[TimelineEntry, ...]


def parse_location_page(html: str | bytes) -> LocationPage:
    """Parse one page; raises ``MalformedResponseError`` when it is not a usable location page."""
    text = _decode(html)
    tree = LexborHTMLParser(text)
    main = tree.css_first("main")
    if main is not None and main.css_first("h1") is not None:
        # The location usually sits in <main>, far less to walk than the whole body.
        with suppress(MalformedResponseError):
            return _read(main, tree)
        tree = LexborHTMLParser(text)  # the reading mutated the tree: start afresh
    if tree.body is None:  # Lexbor always builds a body; this keeps the type honest
        raise MalformedResponseError("location page has no document body")
    return _read(tree.body, tree)


def _read(root: LexborNode, tree: LexborHTMLParser) -> LocationPage:
    _strip_furniture(root)
    name = _name(root, tree)
    lines = _lines(root)
    heading, timeline = _timeline(lines)
    if name is None:
        raise MalformedResponseError("location page has no name (no <h1> or <title>)")
    head = lines[:heading]
    archived = _ARCHIVED.match(name)
    return LocationPage(
        name=name[archived.end() :] if archived else name,
        archived=archived is not None,
        overall_rating=_overall_rating(head),
        provider=next((value for _, value in _labelled(head, _PROVIDER) if value), None),
        provider_changed=next((ln for ln in head if _PROVIDER_CHANGED in ln.casefold()), None),
        timeline=timeline,
    )


# -- input checks ---------------------------------------------------------------------------

_TAG = re.compile(r"<(?:!doctype\b|/?[a-z][a-z0-9]*\b)", re.IGNORECASE)
_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)


def _decode(html: str | bytes) -> str:
    size = len(html) if isinstance(html, bytes) else len(html.encode("utf-8", "replace"))
    if size > MAX_PAGE_BYTES:
        raise MalformedResponseError(
            f"location page is {size} bytes, above the {MAX_PAGE_BYTES}-byte limit"
        )
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    text = text.lstrip("\ufeff")
    start = text.lstrip()[:1]
    if not start:
        raise MalformedResponseError("location page is empty")
    head = text[:1024]
    if "\x00" in head or head.count("\ufffd") > 16:
        raise MalformedResponseError("location page is binary data, not HTML")
    if start in "{[":
        raise MalformedResponseError("location page is JSON, not HTML")
    if _TAG.search(text) is None:
        raise MalformedResponseError("location page has no HTML markup")
    if _END.search(text) is None:
        # A body cut off in transit can still hold a plausible but partial timeline.
        raise MalformedResponseError("location page is truncated: it has no closing </html>")
    return text


# -- HTML to lines --------------------------------------------------------------------------

_DROP = (
    "script, style, noscript, template, svg, iframe, nav, footer, aside, img, input, wbr,"
    " [id*=cookie i], [class*=cookie i]"
)
# A "cookie" class on the page wrapper (e.g. <body class="cookies-accepted">) is not a banner.
_NEVER_DROP = frozenset({"html", "body", "main"})
# Unwrapped so that their text joins the surrounding line; any other element (block or unknown)
# separates lines.
_INLINE = (
    "a, abbr, b, bdi, bdo, big, cite, code, data, del, dfn, em, font, i, ins, kbd, label, mark,"
    " nobr, q, s, samp, small, span, strong, sub, sup, time, tt, u, var"
)
_BREAK = "\ue000"  # private-use characters never found in page text
_BULLET = "\ue001"
_BULLETS = frozenset({_BULLET, "•", "·", "▪", "◦", "‣"})


def _strip_furniture(root: LexborNode) -> None:
    # Only the site banner: a <header> inside <main>/<article> holds the location's own heading.
    _remove([node for node in root.css("header") if not _in_content(node)])
    _remove([node for node in root.css(_DROP) if node.tag not in _NEVER_DROP])


def _remove(nodes: list[LexborNode]) -> None:
    # Reverse document order removes descendants before ancestors, so no handle goes stale.
    for node in reversed(nodes):
        node.decompose()


def _in_content(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("main", "article"):
            return True
        parent = parent.parent
    return False


def _name(root: LexborNode, tree: LexborHTMLParser) -> str | None:
    node = root.css_first("main h1, article h1") or root.css_first("h1")
    name = " ".join(node.text().split()) if node is not None else ""
    if not name and (title := tree.css_first("title")) is not None:
        name = _SITE_SUFFIX.sub("", " ".join(title.text().split()))
    return name or None


_SITE_SUFFIX = re.compile(r"\s+[-|–]\s+(?:CQC|Care Quality Commission)\b.*$", re.IGNORECASE)


def html_text(fragment: str) -> str:
    """The text of an HTML fragment (a narrative field of the API), one line per block, read
    the way a location page is: inline markup joins its line, block elements separate lines."""
    tree = LexborHTMLParser(f"<body>{fragment}</body>")
    if tree.body is None:
        return ""
    _strip_furniture(tree.body)
    return "\n".join(_lines(tree.body))


def _lines(root: LexborNode) -> list[str]:
    """One line per run of text between elements that are not inline (as a browser shows it)."""
    for node in root.css(_INLINE):
        node.unwrap()
    for node in root.css("li"):
        if (first := node.first_child) is not None:
            first.insert_before(_BULLET + " ")
    root.merge_text_nodes()
    return _split_lines(root.text(separator=_BREAK, skip_empty=True))


def _split_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending_bullet = False  # an <li> whose text starts in a nested block
    for chunk in text.split(_BREAK):
        words = chunk.split()
        skip = 0
        while skip < len(words) and words[skip] in _BULLETS:
            skip += 1
        pending_bullet = pending_bullet or skip > 0
        if skip < len(words):
            line = " ".join(words[skip:])
            lines.append("• " + line if pending_bullet else line)
            pending_bullet = False
    return lines


def _bare(line: str) -> str:
    return line[2:] if line.startswith("• ") else line


# -- header fields --------------------------------------------------------------------------

_ARCHIVED = re.compile(r"archived\s*:\s*", re.IGNORECASE)
_PROVIDER_CHANGED = "provider of this service changed"
_OVERALL = re.compile(
    r"overall(?:\s+rating)?(?:\s*(?P<colon>:)\s*|\s+|$)(?P<value>.*)", re.IGNORECASE
)
_PROVIDER = re.compile(r"provided and run by\s*:?\s*(?P<value>.*)", re.IGNORECASE)
_READ_MORE = re.compile(r"\s*\b(?:read|find out) more\b.*$", re.IGNORECASE)
_KNOWN_RATINGS = sorted((*SCALE, *NON_RATINGS), key=len, reverse=True)


def _labelled(head: list[str], pattern: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """Each line matching ``pattern`` with its value, which markup may put on the next line."""
    for index, line in enumerate(head):
        if (match := pattern.fullmatch(_bare(line))) is not None:
            following = head[index + 1] if index + 1 < len(head) else ""
            yield match, match.group("value") or following


def _overall_rating(head: list[str]) -> str | None:
    for match, value in _labelled(head, _OVERALL):
        if (known := _known_rating(value)) is not None:
            return known
        if match.group("colon") and (free := _READ_MORE.sub("", value)):
            return canonical_rating(free)  # a rating name we do not know yet: keep it
    return None


def _known_rating(text: str) -> str | None:
    folded = text.casefold()
    for known in _KNOWN_RATINGS:
        end = len(known)
        if folded.startswith(known.casefold()) and not folded[end : end + 1].isalnum():
            return known
    return None


# -- timeline -------------------------------------------------------------------------------

_DATE_THEN_LABEL = re.compile(r"(.{5,60}?\d{4})\s+(during\b.*)", re.IGNORECASE)
_HEADING = re.compile(r"(?:• )?all inspections(?:\s*\(\d+\))?\s*:?", re.IGNORECASE)
_FOLLOW_UP = r"follow[- ]?up|check(?:ing)? (?:that )?(?:the )?improvements|improvements required"
_KINDS = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("data_review", r"review of (?:our|the) data"),
        ("follow_up", _FOLLOW_UP),
        ("partial_inspection", r"part of the service"),
        ("routine_inspection", r"routine inspection"),
    )
)
_DURING = re.compile(r"during\b", re.IGNORECASE)
# Page furniture after the timeline: the last summary stops here.
_FURNITURE = re.compile(
    r"(?:• )?(?:(?:back|return) to top\b.*|top of (?:the )?page|(?:is|was) this page useful\b.*"
    r"|(?:give (?:us )?)?feedback(?: on this page)?|report a problem(?: with this page)?"
    r"|print(?: this page)?|share(?: this page)?|(?:help us improve|tell us what you think)\b.*"
    r"|(?:©|copyright\b).*|cookies?(?: settings| policy)?|privacy(?: notice| policy)?"
    r"|accessibility(?: statement)?|terms (?:and conditions|of use)|contact us"
    r"|sign up\b.*\bnewsletter\b.*)",
    re.IGNORECASE,
)


def timeline_kind(label: str) -> str:
    """Classify a timeline label; anything unrecognised is ``other`` (the label is kept)."""
    for kind, pattern in _KINDS:
        if pattern.search(label):
            return kind
    return "other"


_NOT_INSPECTED = re.compile(r"\bnot (?:yet )?inspected this service(?: yet)?\b", re.IGNORECASE)


def _is_label(line: str) -> bool:
    line = _bare(line)
    return len(line) <= 200 and (_DURING.match(line) is not None or timeline_kind(line) != "other")


def _is_furniture(line: str) -> bool:
    return len(line) <= 80 and _FURNITURE.fullmatch(line) is not None


def _timeline(lines: list[str]) -> tuple[int, tuple[TimelineEntry, ...]]:
    """The heading's line index and the entries under it."""
    headings = [i for i, line in enumerate(lines) if _HEADING.fullmatch(line)]
    if not headings:
        raise MalformedResponseError("location page has no 'All inspections' section")
    for heading in headings:
        window = range(heading + 1, min(heading + 1 + _PREAMBLE_LINES, len(lines)))
        first = next((index for index in window if _entry_at(lines, index) is not None), None)
        if first is not None:
            # A tab or link saying "All inspections" may come before the real heading.
            nearest = max(index for index in headings if index < first)
            return nearest, _entries(lines, first)
    # A registered service CQC has not inspected yet says so in place of a timeline: that
    # statement is a recognisable, genuinely empty timeline, unlike a page that lost it.
    for heading in headings:
        if any(_NOT_INSPECTED.search(line) for line in lines[heading + 1 : heading + 4]):
            return heading, ()
    raise MalformedResponseError("the 'All inspections' section has no dated entries")


def _entry_at(lines: list[str], index: int) -> tuple[str, str, str, int] | None:
    """(first day, last day, label, lines used) when an entry starts at ``index``."""
    line = lines[index]
    if not line[:1].isdigit():  # a date starts with its day: most lines skip the regexes
        if not (line.startswith("• ") and line[2:3].isdigit()):
            return None
        line = line[2:]
    if (days := parse_site_date(line)) is not None:
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is None or _is_furniture(following):
            raise MalformedResponseError(
                f"timeline entry dated {line!r} has no label: the page looks truncated"
            )
        return (*days, following, 2) if _is_label(following) else None
    # Markup that keeps the date and the label on one line: "6 July 2023 During a ...".
    match = _DATE_THEN_LABEL.fullmatch(line)
    days = parse_site_date(match.group(1)) if match is not None else None
    return (*days, match.group(2), 1) if match is not None and days is not None else None


def _entries(lines: list[str], first: int) -> tuple[TimelineEntry, ...]:
    entries: list[TimelineEntry] = []
    found = _entry_at(lines, first)
    index = first
    while found is not None:
        index += found[3]
        summary: list[str] = []
        size = 0
        following = None
        while index < len(lines) and not _is_furniture(lines[index]):
            following = _entry_at(lines, index)
            if following is not None:
                break
            if size <= MAX_SUMMARY_CHARS:  # stop collecting early; the cut is made below
                summary.append(lines[index])
                size += len(lines[index]) + 1
            index += 1
        entries.append(_entry(found, summary))
        found = following
    return tuple(entries)


def _entry(found: tuple[str, str, str, int], summary: list[str]) -> TimelineEntry:
    text = "\n".join(summary)
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[: MAX_SUMMARY_CHARS - 1].rsplit(None, 1)[0] + "…"
    first, last, label, _ = found
    label = _bare(label)
    return TimelineEntry(
        date=first, last_date=last, kind=timeline_kind(label), label=label, summary=text
    )
