"""A report's own opening summary, at most 600 characters, cut at a sentence end (SPEC §5.3).

The summary starts where the report starts summarising — "People's experience of using this
service and what we found", "Overall summary", "Summary of findings", "Our view of the
service", the Chief Inspector's letter — or, without such a heading, at the first sentence of
substance. Cover pages, navigation, dates and the standard paragraphs every report carries
("We expect health and social care providers to guarantee ...", "The purpose of special
measures is ...") are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.domain.text_blocks import TERMINAL, Sentence

MAX_SUMMARY = 600
_MAX_ITEMS = 12
_ELLIPSIS = "…"

# Preferred first: it says what was found, where "About the service" before it describes.
_FINDINGS_HEADING = re.compile(
    r"^(?:people's experience of using this service and what we found|what we found)\b", re.I
)
_OPENING_HEADING = re.compile(
    r"^(?:overall summary|summary of findings|summary of this inspection|our view of the service"
    r"|letter from the chief inspector of [a-z ]*?(?:hospitals|care|practice|services)"
    r"|our overall judgement)\b",
    re.I,
)
# The same headings run into a sentence, with their capitals (a transcribed PDF page).
_HEADING_INSIDE = re.compile(
    r"\b(?:People's experience of using this service and what we found|Overall summary"
    r"|Summary of findings|Our view of the service|Letter from the Chief Inspector of)\b"
)
# Headings and labels that may open a sentence when a PDF extract ran them into it.
_LEADING_LABELS = re.compile(
    r"^(?:(?:people's experience of using this service and what we found|what we found"
    r"|overall summary|summary of findings|summary of this inspection|our view of the service"
    r"|letter from the chief inspector of [a-z ]*?(?:hospitals|care|practice|services)"
    r"|about the service|background to this inspection|the inspection|latest inspection summary"
    r"|during (?:a|an) [a-z ]*?(?:inspection|assessment|review)(?: [a-z ]*?approach)?"
    r"|inspection summary"
    r")[\s:–-]+)+",
    re.I,
)
_BOILERPLATE = re.compile(
    r"this report describes our judgement|it is based on a combination of what we found"
    r"|we expect health and social care providers to guarantee"
    r"|right support,? right care,? right culture|^right (?:support|care|culture)\b"
    r"|[–-] this means we looked for evidence|^find out what we look at"
    r"|^the purpose of special measures|^special measures provide a framework"
    r"|^(?:in instances )?where cqc ha(?:s|ve) decided|^full information about cqc"
    r"|^we will (?:request an action plan|continue to monitor|work alongside)"
    r"|^if we receive any concerning information"
    r"|^(?:services|providers|practices) (?:that are |placed )?in special measures"
    r"|read more about inspection ratings|^you can (?:find|see|read)"
    r"|^(?:updated|published|contents)\b|date of (?:inspection|publication)|\b(?:tel|website):"
    r"|quality report|inspection report\b"
    r"|^on this page\b|^(?:please )?see the (?:action|full report)|^ratings? overall rating"
    # The tables at the back of a full report.
    r"|^the table below shows|^this section is primarily information|^regulated activity"
    r"|^the enforcement action we took|^how the regulations? (?:was|were) not"
    r"|^regulation \d+[a-z]? hsca|^the provider must send (?:cqc|us) a report"
    r"|^we did not take formal enforcement action|^we will check that this action is taken",
    re.I,
)
# A sentence that only introduces a list ("because:" says why, and stays).
_LEAD_IN = re.compile(
    r"(?:as follows|the following(?: \w+)?|findings (?:were|are|included)|we found that"
    r"|(?:they|the provider|the practice|the trust) (?:must|should)|including):$",
    re.I,
)
_DATE_LINE = re.compile(r"^\d{1,2}(?: and \d{1,2})? [A-Z][a-z]+ \d{4}\b")


def summarise(sentences: Sequence[Sentence]) -> str | None:
    start, first = _opening(sentences)
    summary = _from(sentences, start, first)
    # A heading with nothing after it (a running header on the last page): from the top.
    return summary if summary is not None or start == 0 else _from(sentences, 0, None)


def _from(sentences: Sequence[Sentence], start: int, first: str | None) -> str | None:
    chosen: list[str] = []
    length = 0
    index = start
    while index < len(sentences):
        text = _content(sentences[index], first if index == start else None)
        index += 1
        if text is None:
            continue
        if text.endswith(":"):
            # What it introduces: a list of fragments shown with it, or nothing at all
            # ("The key questions are rated as:" before a table of ratings).
            items, index = _list(sentences, index)
            if items:
                text = f"{text} {'; '.join(items)}."
            elif index < len(sentences) and _content(sentences[index]) is None:
                continue
        extra = len(text) + (1 if chosen else 0)
        if length + extra > MAX_SUMMARY:
            if not chosen:
                return _cut(text)
            break
        chosen.append(text)
        length += extra
    if len(chosen) > 1 and _LEAD_IN.search(chosen[-1]):
        chosen.pop()  # "Our key findings were as follows:" says nothing without what follows
    return " ".join(chosen) or None


def _list(sentences: Sequence[Sentence], index: int) -> tuple[list[str], int]:
    """The bullet items from ``index`` that are fragments, not sentences ("Regulation 12 (Safe
    care and treatment)"), and where they end."""
    items: list[str] = []
    while index < len(sentences) and len(items) < _MAX_ITEMS:
        sentence = sentences[index]
        if not sentence.item or sentence.heading or sentence.text.endswith(TERMINAL):
            break
        items.append(sentence.text.rstrip(" ,;"))
        index += 1
    return items, index


def _opening(sentences: Sequence[Sentence]) -> tuple[int, str | None]:
    """Where the summary starts: the sentence, and its text when a page extracted without
    line breaks ran the heading into the middle of it (else None)."""
    for heading in (_FINDINGS_HEADING, _OPENING_HEADING):
        for index, sentence in enumerate(sentences):
            if heading.match(sentence.text):
                return index, None
    for index, sentence in enumerate(sentences):
        inside = _HEADING_INSIDE.search(sentence.text)
        if inside is not None and not sentence.heading:
            return index, sentence.text[inside.start() :]
    return 0, None


def _content(sentence: Sentence, text: str | None = None) -> str | None:
    """The sentence as a summary shows it, or None for headings, labels and boilerplate."""
    if sentence.heading:
        return None
    text = _LEADING_LABELS.sub("", text or sentence.text).strip()
    if _DATE_LINE.match(text):
        text = _DATE_LINE.sub("", text).strip()
    if len(text.split()) < 4 or not text.endswith((".", "!", "?", ":")):
        return None
    if _BOILERPLATE.search(text) or text.upper() == text:  # no lower case: a label
        return None
    return text


def _cut(text: str) -> str:
    """One sentence longer than the whole summary: cut at the last word that fits."""
    room = MAX_SUMMARY - len(_ELLIPSIS)
    head = text[: room + 1]
    head = head.rsplit(" ", 1)[0] if " " in head else head[:room]
    return head.rstrip(" ,;:–-") + _ELLIPSIS
