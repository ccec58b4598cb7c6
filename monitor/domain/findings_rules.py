"""The rules that read one sentence of a report for breaches of regulation (special measures
and enforcement: :mod:`monitor.domain.findings_actions`).

Each rule sees a lower-cased sentence without quotation marks and says what it states, with
the inspection it speaks of (``tense``). What is stated only under a condition ("if we do not
propose to cancel the provider's registration"), in general ("In instances where CQC have
decided to take civil or criminal enforcement action ... we will publish"), denied ("no
longer in breach") or about an earlier inspection is not a finding of this one; nor is a
breach of something other than a regulation (a data breach, the Mental Capacity Act, a
condition of registration).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from monitor.domain import regulations
from monitor.domain.regulations import Regulation
from monitor.domain.text_blocks import holds_any

_WORDS = {
    "zero": 0, "no": 0, "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_NUMBER = r"(?:\d{1,2}|" + "|".join(w for w in _WORDS if w != "no") + ")"
_ADJECTIVE = (
    r"(?:continued|continuing|new|further|separate|repeated|repeat|ongoing|legal|regulatory"
    r"|serious|additional|existing|significant|persistent|specific|distinct|outstanding"
    r"|identified|individual|other|more)"
)
_BREACH = re.compile(r"\bbreach(?:es|ed|ing)?\b")
_NOT_MET = re.compile(
    r"regulations? (?:was|were|is|are|had|has) not (?:being |been )?met"
    r"|not (?:meet|meeting|met|compliant with|complying with) (?:the )?(?:requirements of )?"
    r"regulations?"
    r"|(?:fail\w*|did not|does not|not) (?:to )?compl\w* with (?:the )?(?:requirements of )?"
    r"regulations?"
)
_DENIED = re.compile(
    r"(?:\bno longer|\bnot|\bnever|\bnor)\s+(?:be\s+|been\s+|being\s+)?(?:in\s+)?$"
    r"|\bno evidence\s+(?:that\s+)?(?:[\w']+\s+){0,3}?(?:was|were|is|are|had been|has been)\s+"
    r"(?:in\s+)?$"
)
# "not in breach of any regulations": none at all.
_ANY = re.compile(
    r"^(?:es)?\s+of\s+any\s+(?:of\s+the\s+)?(?:legal\s+)?(?:regulations?|standards)\b"
)
_NONE = re.compile(
    r"(?:\bno|\bzero|(?:did|do|does|could|can)\s?(?:not|n't)\s+(?:find|identify|see|note|have)"
    r"(?:\s+any)?|(?:have|has|had)\s?(?:not|n't)\s+(?:found|identified|seen|noted)(?:\s+any)?"
    r"|\bfound no|\bwithout any|\bnot find any|\bnot identify any)\s+(?:\w+\s+){0,2}$"
)
_CONDITION = re.compile(
    r"\b(?:if|unless|whether|would|could|might|may|should|usually)\b"
    r"|\bwhere (?:we|cqc|a provider|providers|there|services?)\b|\bin instances where\b"
)
# Breaches spoken of as a possibility, or as what "any" breach would bring.
_HYPOTHETICAL = re.compile(r"\b(?:any|potential|possible|risk of|at risk of)\b")
_COUNT_BEFORE = re.compile(rf"(?:^|\s)(?P<n>{_NUMBER})\s+(?:{_ADJECTIVE}\s+){{0,3}}$")
# "2 continued and 1 new breach": one count of two parts.
_PAIR_BEFORE = re.compile(
    rf"(?:^|\s)(?P<n>{_NUMBER})\s+{_ADJECTIVE}\s+(?:and|plus)\s+(?P<m>{_NUMBER})\s+"
    rf"(?:{_ADJECTIVE}\s+){{0,2}}$"
)
_VAGUE_BEFORE = re.compile(
    r"(?:multiple|several|numerous|various|many|number of|series of|some)\s+"
    rf"(?:{_ADJECTIVE}\s+){{0,2}}$"
)
_COUNT_AFTER = re.compile(
    rf"^(?:es|ed|ing)?\s+(?:of\s+)?(?:the\s+)?(?P<n>{_NUMBER})\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:regulations?|fundamental standards|legal requirements|standards)\b"
)
# Not a breach of regulation: "a data breach", "a breach of confidentiality", of an Act other
# than the one the regulations are made under, of a section of the Act ("Section 33": a
# condition of registration not kept), of a condition or a code of practice.
_OTHER_BREACH = re.compile(
    r"(?:data|security|information)\s+$|^(?:es|ed)?\s+of\s+(?:[\w']+\s+){0,3}?(?:confidentiality"
    r"|privacy|data|human rights|rights|code of conduct"
    r"|contract|policy|policies|procedure|protocol|guidance|trust|bail|the peace"
    r"|mental (?:capacity|health) act|equality act|human rights act|code of practice"
    r"|section\s+\d+|s\.?\s?\d+|conditions?|registration conditions?)\b"
)
# "Regulation 12 had been breached": the regulations before the verb.
_PASSIVE = re.compile(
    r"(regulations?\s+\d[\w(), ]{0,50}?)\s+(?:was|were|had been|has been|have been|is|are"
    r"|being)\s+(?:also\s+|again\s+|repeatedly\s+|further\s+)?$"
)
# A part of a count said before it: "5 breaches, including 2 repeated breaches".
_PART = re.compile(
    r"\b(?:including|includ(?:es|ed)|of which|of these|of them|among(?:st)? (?:them|these))\s+"
    r"(?:\w+\s+){0,3}$"
)
_REGULATIONS_BEFORE = re.compile(
    rf"(?P<n>{_NUMBER})\s+(?:[\w-]+\s+){{0,2}}?regulations\s+(?:were|have been|had been|was)\s+$"
)
_REFERENCE = re.compile(
    r"^(?:es|ed)?\s+(?:of\s+)?(?:these|those|the same|this|that|both|all|all of these|the)"
    r"\s+(?:\w+\s+)?(?:regulations?|requirements|standards|breaches)\b"
)
# "... and remained in breach." (not "two were continued breaches."): the breaches before.
_ENDS_REFERRING = re.compile(r"^(?:ed)?\s*(?:[.;,]|$)")
# "this breach had continued": the breach named before.
_THIS = re.compile(r"\b(?:this|that|these|those|the same)\s+$")
_CONTINUING = re.compile(r"\b(?:remain\w*|still|continu\w*|again|persist\w*)\b")
_SUBJECT = re.compile(
    r"\b(?:relating to|related to|in relation to|regarding|in respect of|concerning|around"
    r"|linked to|about|covering|for|of)\b"
)
_CLAUSE_END = re.compile(r";|(?<!\breg)\. |\bbreach")  # "Reg. 12" goes on
# Words one of the expressions above needs in its window: without them it is not tried.
_DENIAL_WORDS = ("no", "nor", "never")  # "not", "no longer" contain "no"
_OTHER_WORDS = ("data", "security", "information")
_NONE_WORDS = ("no", "zero", "n't", "without")
_MAYBE_WORDS = ("any", "potential", "possible", "risk")
_VAGUE_WORDS = ("multiple", "several", "numerous", "various", "many", "number", "series", "some")
_CONDITION_WORDS = ("if", "unless", "whether", "ould", "might", "may", "usually", "where")
# "a breach of the 2010 regulations, which corresponds to a breach of Regulation 12": one.
_RESTATED = re.compile(r"(?:correspond\w*|equivalent|amount\w*|equat\w*) to (?:a |an )?$")


@dataclass(frozen=True, slots=True)
class Breach:
    """One statement about breaches of regulation."""

    tense: str
    sentence: int  # statements of one sentence add up; across sentences they repeat
    count: int | None = None  # as stated; None: not stated
    regulations: frozenset[Regulation] = frozenset()
    none: bool = False  # "there were no breaches"
    refers_back: bool = False  # "remained in breach of these regulations"
    restated: bool = False  # "which corresponds to a breach of ...": the one before it


def clause_before(lowered: str, position: int) -> str:
    start = max(lowered.rfind(";", 0, position), lowered.rfind(":", 0, position)) + 1
    return lowered[start:position]


def breaches(
    lowered: str, scheme: str, tense: Callable[[int], str], sentence: int
) -> Iterator[Breach]:
    """Statements about breaches in one sentence (its index: ``sentence``)."""
    for match in _BREACH.finditer(lowered):
        found = _breach(lowered, match.start(), scheme, tense, sentence)
        if found is not None:
            yield found
    if "not" not in lowered and "fail" not in lowered:
        return
    for match in _NOT_MET.finditer(lowered):
        # "Regulation 12 HSCA RA Regulations 2014 Safe care and treatment How the regulation was
        # not being met:" — the regulation is named before, in the table row.
        window = lowered[max(0, match.start() - 200) : match.end() + 40]
        named = frozenset(regulations.numbered(window, scheme))
        before = clause_before(lowered, match.start())
        if named and not conditional(before):
            yield Breach(tense(match.start()), sentence, regulations=named)


def _breach(
    lowered: str, start: int, scheme: str, tense: Callable[[int], str], sentence: int
) -> Breach | None:
    """What one "breach" says. Each expression is tried only where a word it needs is near:
    most of them, most of the time, are not."""
    before = lowered[max(0, start - 60) : start]
    near = before[-30:]
    following = lowered[start + 6 : start + 60]
    if holds_any(before, _DENIAL_WORDS) and _DENIED.search(before):
        if _ANY.match(following):  # "not in breach of any regulations"
            return Breach(tense(start), sentence, count=0, none=True)
        return None  # "no longer in breach", "not in breach": nothing found now
    if (holds_any(near, _OTHER_WORDS) and _OTHER_BREACH.search(before[-20:])) or (
        " of " in following[:10] and _OTHER_BREACH.search(following)
    ):
        return None
    after = _clause_after(lowered, start)
    if holds_any(near, _NONE_WORDS) and _NONE.search(before):
        named = frozenset(regulations.numbered(after, scheme))
        return None if named else Breach(tense(start), sentence, count=0, none=True)
    clause = clause_before(lowered, start)
    if conditional(clause) or (
        holds_any(before[-25:], _MAYBE_WORDS) and _HYPOTHETICAL.search(before[-25:])
    ):
        return None
    count = _count(before, following)
    named = frozenset(regulations.numbered(after, scheme)) if "reg" in after else frozenset()
    if not named and "regulation" in before and lowered.startswith("breached", start):
        passive = _PASSIVE.search(before)
        named = frozenset(regulations.numbered(passive.group(1), scheme)) if passive else named
    if not named:
        named = frozenset(_subjects(after))
    refers = not named and (
        bool(
            _REFERENCE.match(following)
            or (before.endswith(" in ") and _ENDS_REFERRING.match(following))
            or _THIS.search(near)
        )
        and bool(_CONTINUING.search(clause) or _CONTINUING.search(after[:40]))
    )
    vague = holds_any(before, _VAGUE_WORDS) and bool(_VAGUE_BEFORE.search(before))
    if count is None and not named and not refers and not vague:
        # "This was a breach" is one; a bare "breach" ("in breach", "breaches were found")
        # says there were some without saying how many.
        return Breach(tense(start), sentence)
    restated = (" to " in near and bool(_RESTATED.search(before))) or (
        count is not None and _part(lowered, start, before)
    )
    return Breach(tense(start), sentence, count, named, refers_back=refers, restated=restated)


def _part(lowered: str, start: int, before: str) -> bool:
    """Whether the count before ``start`` is a part of one the sentence gave before it."""
    part = _PART.search(before) if "in" in before or "of" in before else None
    return part is not None and "breach" in lowered[: start - len(before) + part.start()]


def conditional(clause: str) -> bool:
    """Whether a clause states something only under a condition, or in general."""
    return holds_any(clause, _CONDITION_WORDS) and bool(_CONDITION.search(clause))


def _count(before: str, following: str) -> int | None:
    pair = _PAIR_BEFORE.search(before[-60:]) if " and " in before[-60:] else None
    if pair is not None:
        return sum(_number(pair.group(key)) or 0 for key in ("n", "m"))
    match = _COUNT_BEFORE.search(before[-45:]) or _COUNT_AFTER.match(following)
    if match is None and "regulations" in before:
        match = _REGULATIONS_BEFORE.search(before)
    return None if match is None else _number(match.group("n"))


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else _WORDS.get(word)


def _clause_after(lowered: str, start: int) -> str:
    """From a breach to the end of its clause, or to the next breach a sentence names."""
    rest = lowered[start:]
    end = _CLAUSE_END.search(rest, 6)
    return rest[: end.start()] if end else rest


def _subjects(after: str) -> Iterator[Regulation]:
    """Regulations named by subject after "relating to", "in relation to"..."""
    match = _SUBJECT.search(after)
    if match is not None:  # a list of subjects is a few lines at most
        yield from regulations.by_subject(after[match.end() : match.end() + 400])


# "We found 5 breaches ... . These related to safe care and treatment, staffing and ...": the
# regulations of the breaches the sentence before counted.
_RELATED = re.compile(
    r"^(?:these|they|th(?:e|is|ese) breach(?:es)?(?: (?:we )?(?:found|identified))?)\s+"
    r"(?:were\s+|was\s+|are\s+|is\s+)?(?:related|relate[sd]?|relating|in relation|about|around"
    r"|regarding|concerned|concern(?:s|ing)?|covered|involved|included)\b"
)


def related(lowered: str, scheme: str) -> frozenset[Regulation]:
    """The regulations a sentence that goes on about the breaches just counted names."""
    match = _RELATED.match(lowered)
    if match is None:
        return frozenset()
    rest = lowered[match.end() :]
    return frozenset(regulations.numbered(rest, scheme)) or frozenset(regulations.by_subject(rest))


def listed(items: Iterable[str], scheme: str) -> frozenset[Regulation]:
    """The regulations of a list that a statement ending in a colon introduces ("in breach
    of the following regulations:"), one item each: numbered, else by subject."""
    named: set[Regulation] = set()
    for item in items:
        found = set(regulations.numbered(item, scheme)) or set(regulations.by_subject(item[:160]))
        if not found:
            break  # the list has ended
        named |= found
    return frozenset(named)
