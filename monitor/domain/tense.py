"""Which inspection a sentence speaks of: this one, or an earlier one (SPEC §2.3).

Reports set this inspection's findings beside the last one's: "At our last inspection we found
four breaches ... The service remained in special measures. At this inspection we found ...
no breaches". A finding belongs to the inspection named nearest before it in its sentence
("At our last inspection ... and at this inspection ..."), else to the one named after it
("Four breaches were found at our last inspection"), else to the one the sentences just before
it in the same paragraph spoke of, else to this inspection: a report is about itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.domain.text_blocks import Sentence

PAST, CURRENT = "past", "current"

_KIND = r"(?:inspections?|assessments?|visits?|reviews?|ratings?|reports?)"
_PAST = re.compile(
    rf"\b(?:our|the|its|their|this service's|the service's|the provider's|a)\s+"
    rf"(?:last|previous|prior|earlier|preceding|most recent previous)\s+(?:\w+\s+){{0,2}}?{_KIND}\b"
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


def markers(lowered: str) -> list[tuple[int, str]]:
    """Positions in a lower-cased sentence where it names an inspection, with which one."""
    found = []
    if any(word in lowered for word in _CURRENT_WORDS):
        found = [(match.start(), CURRENT) for match in _CURRENT.finditer(lowered)]
    if not any(word in lowered for word in _PAST_WORDS):
        return found
    for match in _PAST.finditer(lowered):
        if not _SINCE.search(lowered[max(0, match.start() - 16) : match.start()]):
            found.append((match.start(), PAST))
    return sorted(found)


class Context:
    """The inspection each sentence of a report speaks of when it does not say."""

    def __init__(self, sentences: Sequence[Sentence], lowered: Sequence[str]) -> None:
        self._sentences = sentences
        self._lowered = lowered
        self._markers: dict[int, list[tuple[int, str]]] = {}
        self._inherited: dict[int, str] = {}

    def markers(self, index: int) -> list[tuple[int, str]]:
        found = self._markers.get(index)
        if found is None:
            found = self._markers[index] = markers(self._lowered[index])
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
