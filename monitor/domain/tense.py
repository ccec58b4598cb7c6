"""Which inspection a sentence speaks of: this one, or an earlier one (SPEC §2.3).

Reports set this inspection's findings beside the last one's: "At our last inspection we found
four breaches ... The service remained in special measures. At this inspection we found ...
no breaches". A finding belongs to the inspection named nearest before it in its sentence
("At our last inspection ... and at this inspection ..."), else to the one named after it
("Four breaches were found at our last inspection"), else to the one the sentences just before
it in the same paragraph spoke of, else to this inspection: a report is about itself.

An inspection named by its date ("We carried out an unannounced comprehensive inspection of
this service on 4 February 2019. A breach of legal requirements was found.") is an earlier one
when the report says its own date ("Date of inspection visit: 3 September 2019", "This
inspection took place on ...") and that date is later; without the report's own date, a date
says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.domain.text_blocks import Sentence, holds_any

PAST, CURRENT = "past", "current"

_KIND = r"(?:inspections?|assessments?|visits?|reviews?|ratings?|reports?)"
_PAST = re.compile(
    rf"\b(?:our|the|its|their|this service's|the service's|the provider's|a)\s+"
    # "for the last two consecutive inspections" spans this one too.
    r"(?:last|previous|prior|earlier|preceding|most recent previous)\s+"
    rf"(?!(?:two|three|four|five|six|\d+)\s)(?:\w+\s+){{0,2}}?{_KIND}\b"
    r"|\bthe last rating for this\b|\bpreviously\b|\bat that (?:time|inspection|assessment)\b"
    r"|\bwhen we (?:last|previously) (?:inspected|assessed|visited)\b"
)
_CURRENT = re.compile(
    r"\b(?:this|the current|our current|the latest|our latest|today's)\s+(?:\w+\s+){0,2}?"
    r"(?:inspection|assessment|visit)s?\b"
)
# Words each kind of marker holds: a sentence without them names no inspection.
_CURRENT_WORDS = ("this ", "current", "latest", "today")
_PAST_WORDS = ("last", "previous", "prior", "earlier", "preceding", "at that")
# "since our last inspection" measures change up to now; it does not speak of then.
_SINCE = re.compile(r"(?:since|compared (?:to|with)|from)\s+$")
_PAST_HEADING = re.compile(r"last inspection|previous inspection|last assessment|last rating")
_LOOK_BACK = 2  # sentences a reference to an earlier inspection carries over to
_LOOK_AHEAD = 3
# A sentence in the present or future tense speaks of now, whatever the one before it did.
_PRESENT = re.compile(r"\b(?:is|are|remains|continues|has|have|will|now)\b")
# "We found ..." opening a sentence of its own reports this inspection's findings; an earlier
# inspection's are reported in the sentence that names it.
_OWN_FINDING = re.compile(r"^(?:we|cqc) (?:have |has |had )?(?:also )?(?:found|identified|saw)\b")

_MONTHS = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
)  # fmt: skip
_DATE = (
    r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:,|and|to|-|–)\s*\d{1,2}(?:st|nd|rd|th)?)*\s+)?"
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+(?P<year>(?:19|20)\d\d)\b"
)
# Where a report gives the date of its own inspection or assessment.
_OWN_DATE = re.compile(
    r"(?:date of (?:inspection|assessment|site)(?: visits?)?|(?:inspection|assessment) "
    r"(?:took place|commenced|started)|(?:this|the) (?:inspection|assessment) was carried out"
    r"|we carried out (?:this|the) (?:inspection|assessment)|our on-site activity)s?\s*:?\s*"
    rf"(?:on\s+|between\s+|from\s+)?{_DATE}"
)
_DATED = re.compile(
    r"\b(?:inspection|inspected|assessment|assessed|visit)\b(?:\s+(?:of|at)\s+"
    rf"(?:[\w'&-]+\s+){{1,6}}?)?\s*(?:on|in|dated|of)\s+{_DATE}"
)
Day = tuple[int, int, int]


def own_date(lowered_text: str) -> Day | None:
    """The date of the report's own inspection, where its text gives it."""
    match = _OWN_DATE.search(lowered_text)
    return _day(match) if match is not None else None


def _day(match: re.Match[str]) -> Day:
    day = match.group("day")
    month = _MONTHS.index(match.group("month")[:3]) + 1
    return int(match.group("year")), month, int(day) if day else 0


def dated_markers(lowered: str, own: Day) -> list[tuple[int, str]]:
    """Inspections a sentence names by a date: earlier than the report's own, or its own."""
    found = []
    for match in _DATED.finditer(lowered):
        said = _day(match)
        # A month without a day is earlier only if the month is.
        earlier = said < own if said[2] else said[:2] < own[:2]
        found.append((match.start(), PAST if earlier else CURRENT))
    return found


def markers(lowered: str) -> list[tuple[int, str]]:
    """Positions in a lower-cased sentence where it names an inspection, with which one."""
    found = []
    if holds_any(lowered, _CURRENT_WORDS):
        found = [(match.start(), CURRENT) for match in _CURRENT.finditer(lowered)]
    if not holds_any(lowered, _PAST_WORDS):
        return found
    for match in _PAST.finditer(lowered):
        if not _SINCE.search(lowered[max(0, match.start() - 16) : match.start()]):
            found.append((match.start(), PAST))
    return sorted(found)


def _names_a_visit(lowered: str) -> bool:
    return "inspect" in lowered or "assess" in lowered or "visit" in lowered


def _has_a_date(lowered: str) -> bool:
    """Whether a month's name comes before a year ("4 may 2021"): most years in a report
    are of an Act or its regulations ("2008", "regulations 2014"), found without an
    expression."""
    at = lowered.find(" 20")
    while at != -1:
        word = lowered[max(0, at - 10) : at].rsplit(" ", 1)[-1].rstrip(".,")
        if word[:3] in _MONTHS and word.isalpha():
            return True
        at = lowered.find(" 20", at + 3)
    return False


class Context:
    """The inspection each sentence of a report speaks of when it does not say."""

    def __init__(
        self, sentences: Sequence[Sentence], lowered: Sequence[str], own: Day | None = None
    ) -> None:
        self._sentences = sentences
        self._lowered = lowered
        self._own = own  # the date of the report's own inspection, when it says
        self._markers: dict[int, list[tuple[int, str]]] = {}
        self._inherited: dict[int, str] = {}

    def markers(self, index: int) -> list[tuple[int, str]]:
        found = self._markers.get(index)
        if found is None:
            lowered = self._lowered[index]
            found = markers(lowered)
            if self._own is not None and _names_a_visit(lowered) and _has_a_date(lowered):
                found = sorted(found + dated_markers(lowered, self._own))
            self._markers[index] = found
        return found

    def inherited(self, index: int) -> str:
        """What the sentences before it, in its paragraph, last spoke of (a few at most).

        "We found ..." opening a sentence reports this inspection, unless the paragraph
        names this inspection only later: then it still tells of the earlier one ("At our
        last inspection ... . We found six breaches. At this inspection we found ...").
        """
        earlier = self._earlier(index)
        if earlier == PAST and _PRESENT.search(self._lowered[index]):
            return CURRENT  # "The service remains in special measures": now, whatever came before
        if earlier == PAST and _OWN_FINDING.match(self._lowered[index]):
            return PAST if self._named_later(index) else CURRENT
        return earlier

    def _earlier(self, index: int) -> str:
        sentence = self._sentences[index]
        for back in range(1, _LOOK_BACK + 1):
            earlier = index - back
            if earlier < 0:
                break
            previous = self._sentences[earlier]
            if previous.passage != sentence.passage or previous.heading:
                if previous.heading and _PAST_HEADING.search(self._lowered[earlier]):
                    return PAST
                break
            found = self.markers(earlier)
            if found:
                return found[-1][1]
        return CURRENT

    def _named_later(self, index: int) -> bool:
        passage = self._sentences[index].passage
        for later in range(index + 1, min(len(self._sentences), index + 1 + _LOOK_AHEAD)):
            if self._sentences[later].passage != passage:
                return False
            found = self.markers(later)
            if found:
                return found[0][1] == CURRENT
        return False

    def tense(self, index: int, position: int) -> str:
        """The inspection a finding at ``position`` of sentence ``index`` belongs to: the one
        its sentence names nearest before it, else after it, else the one inherited."""
        found = self.markers(index)
        for at, tense in reversed(found):
            if at < position:
                return tense
        for at, tense in found:
            if at > position:
                return tense
        inherited = self._inherited.get(index)
        if inherited is None:
            inherited = self._inherited[index] = self.inherited(index)
        return inherited
