"""What an inspection report found, read from its words (SPEC §2.3, §5.3). Pure.

``read_findings`` takes the text of one report — a PDF text extract, an assessment's
narrative, a website summary — and says, for *this* inspection: how many breaches of
regulation, which regulations, special measures placed / remains / removed, the enforcement
actually taken, and the report's own opening summary. What the text does not say stays
``None`` (or empty), never a guess; what it says of an earlier inspection, or of enforcement
in general, is not a finding. Any text at all is read without raising.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from monitor.domain import findings_actions as actions
from monitor.domain import findings_rules as rules
from monitor.domain import regulations
from monitor.domain.findings_actions import ENFORCEMENT
from monitor.domain.findings_rules import Breach
from monitor.domain.report_summary import summarise
from monitor.domain.report_text import prepare
from monitor.domain.tense import CURRENT, Context, own_date
from monitor.domain.text_blocks import Sentence, holds_any

SOURCES = ("report_text", "assessment_narrative", "website")
SPECIAL_MEASURES = ("placed", "remains", "removed")
# Words of the sentences worth reading closely; every other one only feeds the summary.
_BREACH_WORDS = ("breach", "not being met", "not met", "not meet", "compli", "comply")
_ACTION_WORDS = (
    "notice", "urgent", "condition", "suspen", "cancel", "prosecut", "guilty", "convicted",
    "criminal proceedings", "fixed penalty", "we took", "cqc took", "have taken", "has taken",
    "table below",
    "location from",
)  # fmt: skip
_QUOTES = re.compile(r"(?<![a-z0-9])'|'(?![a-z])|\"")
_TOOK = re.compile(r"enforcement actions? (?:we|cqc) (?:took|have taken|has taken)")
# The tables at the back of a full report ("Action we have told the provider to take",
# "Enforcement actions") open with "The table below shows ..."; each row cites a regulation
# not met ("Regulation 12 HSCA RA Regulations 2014 Safe care and treatment").
_TABLE = "table below shows"
_TABLE_OF_BREACHES = ("not met", "not being met", "enforcement", "significant improvement")
_CITATIONS = ("hsca", "regulated activities) regulations", "registration) regulations")
# A heading that no table holds: the tables are over.
_NOT_TABLE = re.compile(
    r"^(?:is the service|are services|summary|overall summary|our findings|detailed findings"
    r"|background to|our view of|people's experience)"
)
# How a sentence that names the regulations of the breaches just counted starts.
_GOES_ON = ("these", "they", "the breach", "this breach")
# A table's cell: "Are services well-led? Requirements notice" (dental reports).
_NOTICE_CELL = ("requirements notice", "requirement notice", "requirement notices")


@dataclass(frozen=True, slots=True)
class Findings:
    source: str
    breaches: int | None = None
    regulations: tuple[str, ...] = ()
    special_measures: str | None = None
    enforcement: tuple[str, ...] = ()
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "breaches": self.breaches,
            "regulations": list(self.regulations),
            "special_measures": self.special_measures,
            "enforcement": list(self.enforcement),
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Findings:
        breaches = data.get("breaches")
        state = data.get("special_measures")
        return cls(
            source=str(data.get("source") or "report_text"),
            breaches=breaches if isinstance(breaches, int) else None,
            regulations=tuple(str(item) for item in data.get("regulations") or ()),
            special_measures=state if state in SPECIAL_MEASURES else None,
            enforcement=tuple(e for e in data.get("enforcement") or () if e in ENFORCEMENT),
            summary=data.get("summary") if isinstance(data.get("summary"), str) else None,
        )

    @property
    def serious(self) -> bool:
        """Special measures, or enforcement beyond a requirement notice: the Changes filter."""
        beyond = any(action != "requirement_notice" for action in self.enforcement)
        return self.special_measures in ("placed", "remains") or beyond


def read_findings(
    text: str, *, source: str = "report_text", location_name: str | None = None
) -> Findings:
    """The findings of the inspection ``text`` reports on (``location_name`` helps to tell
    its running headers and footers from its prose)."""
    prepared = prepare(text, location_name=location_name)
    reading = _Reading(prepared.sentences)
    reading.read()
    count, named = _breaches(reading.breaches)
    return Findings(
        source=source,
        breaches=count,
        regulations=tuple(regulations.label(r) for r in sorted(named, key=regulations.order)),
        special_measures=actions.strongest(reading.states),
        enforcement=tuple(action for action in ENFORCEMENT if action in reading.actions),
        summary=summarise(prepared.sentences),
    )


class _Reading:
    """One pass over a report's sentences, gathering what each states."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.sentences = sentences
        self.lowered = [sentence.text.lower() for sentence in sentences]
        self._flat = "\n".join(self.lowered)
        self.context = Context(sentences, self.lowered, own_date(self._flat))
        self.scheme = regulations.era(self._flat)
        self.breaches: list[Breach] = []
        self.states: list[str] = []
        self.actions: set[str] = set()
        self._took_until = -1  # sentences after "The enforcement action we took:"
        self._starts = list(accumulate((len(text) + 1 for text in self.lowered[:-1]), initial=0))

    def read(self) -> None:
        """Read closely only the sentences that hold a word a finding needs: found all at
        once in the whole text, which is far quicker than asking every sentence."""
        breach = self._holding(_BREACH_WORDS)
        measures = self._holding(("special measures",))
        action = self._holding(_ACTION_WORDS)
        rows = self._table_rows(sorted(i for i in action if _opens_a_table(self.lowered[i])))
        for index in sorted(breach | measures | action | rows):
            self._sentence(index, index in breach, index in measures, index in action)
            if index in rows:
                named = frozenset(regulations.numbered(self.lowered[index], self.scheme))
                if named:
                    tense = self.context.tense(index, 0)
                    self.breaches.append(Breach(tense, index, regulations=named))

    def _table_rows(self, starts: list[int]) -> set[int]:
        """The sentences that cite a regulation in the tables of regulations not met, which
        run from "The table below shows ..." (``starts``) to a heading no table holds."""
        if not starts:
            return set()
        ends = [
            index
            for index, sentence in enumerate(self.sentences)
            if sentence.heading and index > starts[0] and _NOT_TABLE.match(self.lowered[index])
        ]
        rows = set()
        for index in self._holding(_CITATIONS):
            start = bisect_left(starts, index) - 1  # the last table opened before it
            if start >= 0 and bisect_left(ends, starts[start]) == bisect_left(ends, index):
                rows.add(index)  # and no heading ended it since
        return rows

    def _holding(self, words: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for word in words:
            at = self._flat.find(word)
            while at != -1:
                found.add(bisect_right(self._starts, at) - 1)
                at = self._flat.find(word, at + len(word))
        return found

    def _sentence(self, index: int, breach: bool, measures: bool, action: bool) -> None:
        plain = self.lowered[index]
        if "'" in plain or '"' in plain:
            plain = _QUOTES.sub("", plain)
        self.lowered[index] = plain  # the markers are read from the text the rules see

        def tense(position: int) -> str:
            return self.context.tense(index, position)

        if breach:
            found = list(rules.breaches(plain, self.scheme, tense, index))
            self.breaches.extend(found)
            if found and (plain.endswith(":") or self._goes_on_about(index)):
                self.breaches.extend(self._named_after(index, plain, found))
        if measures:
            self.states.extend(actions.special_measures(plain, tense))
        if not action and index > self._took_until:
            return
        if "notice" in plain:
            self.breaches.extend(actions.notices(plain, self.scheme, tense, index))
            cell = plain.strip(" .\u2713\u2714\u2717\u2718")
            if cell in _NOTICE_CELL and index and self.lowered[index - 1].endswith("?"):
                self.actions.add("requirement_notice")
        took = _TOOK.search(plain)
        if took is not None:
            # An enforcement table: the action is named in the cells that follow, the
            # regulation breached in the cells before.
            self._took_until = index + 2
            window = " ".join(self.lowered[max(0, index - 2) : index + 1])
            named = frozenset(regulations.numbered(window, self.scheme))
            if named:
                self.breaches.append(Breach(tense(took.start()), index, regulations=named))
        elif index <= self._took_until:
            plain = "we took: " + plain
        self.actions.update(actions.enforcement(plain, tense))

    def _goes_on_about(self, index: int) -> bool:
        """Whether the next sentence may go on about the breaches ("These related to")."""
        following = self.lowered[index + 1] if index + 1 < len(self.lowered) else ""
        return following.startswith(_GOES_ON)

    def _named_after(self, index: int, plain: str, found: list[Breach]) -> Iterator[Breach]:
        """The regulations of breaches a sentence counts but does not name, named by what
        follows it: a list its colon opens, or "These related to ..."."""
        unnamed = [breach for breach in found if not breach.regulations and not breach.none]
        if not unnamed or index + 1 >= len(self.sentences):
            return
        following = self.sentences[index + 1]
        if following.heading or following.passage != self.sentences[index].passage:
            return
        named: frozenset[regulations.Regulation] = frozenset()
        if plain.endswith(":") and following.item:
            items = []
            for sentence in self.sentences[index + 1 : index + 21]:
                if not sentence.item:
                    break
                items.append(sentence.text.lower())
            named = rules.listed(items, self.scheme)
        elif unnamed[-1].count:
            named = rules.related(self.lowered[index + 1], self.scheme)
        if named:
            yield Breach(unnamed[-1].tense, index, regulations=named)


def _breaches(said: Iterable[Breach]) -> tuple[int | None, frozenset[regulations.Regulation]]:
    """This inspection's count and regulations, from every statement in the report.

    A full report says it several times (the summary's "We found 3 breaches", then "This was
    a breach of regulation 12" in each section): the count is the largest a sentence states,
    or the number of regulations named if more. Statements of one sentence add up ("remained
    in breach of one regulation and a new breach of regulation 18": two). "Remained in
    breach of these regulations" takes the count and regulations of the statement it refers to.
    """
    per_sentence: dict[int, int] = {}
    named: set[regulations.Regulation] = set()
    none = False
    last: Breach | None = None
    for breach in said:
        if breach.refers_back and last is not None:
            breach = replace(breach, count=last.count, regulations=last.regulations)
        if breach.regulations or breach.count:
            last = breach
        if breach.tense != CURRENT:
            continue
        none = none or breach.none
        if breach.count and not breach.restated:
            per_sentence[breach.sentence] = per_sentence.get(breach.sentence, 0) + breach.count
        named.update(breach.regulations)
    if per_sentence or named:
        return max([*per_sentence.values(), len(named)]), frozenset(named)
    return (0 if none else None), frozenset()


def _opens_a_table(lowered: str) -> bool:
    """ "The table below shows where regulations were not being met ...", "... why there is a
    need for significant improvements": a table of regulations not met (not of ratings)."""
    return _TABLE in lowered and holds_any(lowered, _TABLE_OF_BREACHES)


def findings_severity(findings: Findings | None) -> str:
    """SPEC §5.2: critical for special measures placed or kept, urgent action, a warning
    notice, suspension or cancellation; warning for breaches; else info."""
    if findings is None:
        return "info"
    critical = {"warning_notice", "urgent_action", "suspension", "cancellation"}
    if findings.special_measures in ("placed", "remains") or critical & set(findings.enforcement):
        return "critical"
    return "warning" if (findings.breaches or 0) > 0 else "info"
