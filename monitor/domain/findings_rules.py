"""The rules that read one sentence of a report: breaches, special measures, enforcement.

Each rule sees a lower-cased sentence without quotation marks and says what it states, with
the inspection it speaks of (``tense``). What is stated only under a condition ("if we do not
propose to cancel the provider's registration"), in general ("In instances where CQC have
decided to take civil or criminal enforcement action ... we will publish"), denied ("no
longer in breach") or about an earlier inspection is not a finding of this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from monitor.domain import regulations
from monitor.domain.regulations import Regulation

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
    r"|not (?:meeting|met|compliant with|complying with) (?:the )?(?:requirements of )?regulations?"
    r"|(?:fail\w*|did not|does not|not) (?:to )?compl\w* with (?:the )?(?:requirements of )?"
    r"regulations?"
)
_DENIED = re.compile(
    r"(?:\bno longer|\bnot|\bnever|\bnor)\s+(?:be\s+|been\s+|being\s+)?(?:in\s+)?$"
)
_NONE = re.compile(
    r"(?:\bno|\bzero|(?:did|do|does|could|can)\s?(?:not|n't)\s+(?:find|identify|see|note|have)"
    r"(?:\s+any)?|\bfound no|\bwithout any|\bnot find any|\bnot identify any)\s+(?:\w+\s+){0,2}$"
)
_CONDITION = re.compile(
    r"\b(?:if|unless|whether|would|could|might|may|should|usually)\b"
    r"|\bwhere (?:we|cqc|a provider|providers|there|services?)\b|\bin instances where\b"
)
# Breaches spoken of as a possibility, or as what "any" breach would bring.
_HYPOTHETICAL = re.compile(r"\b(?:any|potential|possible|risk of|at risk of)\b")
_COUNT_BEFORE = re.compile(rf"(?:^|\s)(?P<n>{_NUMBER})\s+(?:{_ADJECTIVE}\s+){{0,3}}$")
_VAGUE_BEFORE = re.compile(
    r"(?:multiple|several|numerous|various|many|number of|series of|some)\s+"
    rf"(?:{_ADJECTIVE}\s+){{0,2}}$"
)
_COUNT_AFTER = re.compile(
    rf"^(?:es|ed|ing)?\s+(?:of\s+)?(?:the\s+)?(?P<n>{_NUMBER})\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:regulations?|fundamental standards|legal requirements|standards)\b"
)
# Not a breach of regulation: "a data breach", "a breach of confidentiality".
_OTHER_BREACH = re.compile(
    r"(?:data|security|information)\s+$|^(?:es|ed)?\s+of\s+(?:\w+\s+)?(?:confidentiality|privacy|data"
    r"|contract|policy|policies|procedure|protocol|guidance|trust|bail|the peace)\b"
)
_REGULATIONS_BEFORE = re.compile(
    rf"(?P<n>{_NUMBER})\s+(?:[\w-]+\s+){{0,2}}?regulations\s+(?:were|have been|had been|was)\s+$"
)
_REFERENCE = re.compile(
    r"^(?:es|ed)?\s+(?:of\s+)?(?:these|those|the same|this|that|both|all|all of these|the)"
    r"\s+(?:\w+\s+)?(?:regulations?|requirements|standards|breaches)\b"
    r"|^(?:es|ed)?\s*(?:[.;,]|$)"
)
_CONTINUING = re.compile(r"\b(?:remain\w*|still|continu\w*|again|persist\w*)\b")
_SUBJECT = re.compile(
    r"\b(?:relating to|related to|in relation to|regarding|in respect of|concerning|around"
    r"|linked to|about|covering|for|of)\b"
)
_CLAUSE_END = re.compile(r";|\. |\bbreach")
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
        if named and not _conditional(before):
            yield Breach(tense(match.start()), sentence, regulations=named)


def _breach(
    lowered: str, start: int, scheme: str, tense: Callable[[int], str], sentence: int
) -> Breach | None:
    """What one "breach" says. Each expression is tried only where a word it needs is near:
    most of them, most of the time, are not."""
    before = lowered[max(0, start - 60) : start]
    near = before[-30:]
    following = lowered[start + 6 : start + 60]
    if _has(near, _DENIAL_WORDS) and _DENIED.search(before):
        return None  # "no longer in breach", "not in breach": nothing found now
    if (_has(near, _OTHER_WORDS) and _OTHER_BREACH.search(before[-20:])) or (
        " of " in following[:10] and _OTHER_BREACH.search(following)
    ):
        return None
    after = _clause_after(lowered, start)
    if _has(near, _NONE_WORDS) and _NONE.search(before):
        named = frozenset(regulations.numbered(after, scheme))
        return None if named else Breach(tense(start), sentence, count=0, none=True)
    clause = clause_before(lowered, start)
    if _conditional(clause) or (
        _has(before[-25:], _MAYBE_WORDS) and _HYPOTHETICAL.search(before[-25:])
    ):
        return None
    count = _count(before, following)
    named = frozenset(regulations.numbered(after, scheme)) if "regulation" in after else frozenset()
    if not named:
        named = frozenset(_subjects(after))
    refers = not named and (
        bool(_REFERENCE.match(following))
        and bool(_CONTINUING.search(clause) or _CONTINUING.search(after[:40]))
    )
    vague = _has(before, _VAGUE_WORDS) and bool(_VAGUE_BEFORE.search(before))
    if count is None and not named and not refers and not vague:
        # "This was a breach" is one; a bare "breach" ("in breach", "breaches were found")
        # says there were some without saying how many.
        return Breach(tense(start), sentence)
    restated = " to " in near and bool(_RESTATED.search(before))
    return Breach(tense(start), sentence, count, named, refers_back=refers, restated=restated)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def _conditional(clause: str) -> bool:
    return _has(clause, _CONDITION_WORDS) and bool(_CONDITION.search(clause))


def _count(before: str, following: str) -> int | None:
    match = _COUNT_BEFORE.search(before[-45:]) or _COUNT_AFTER.match(following)
    if match is None and "regulations" in before:
        match = _REGULATIONS_BEFORE.search(before)
    if match is None:
        return None
    word = match.group("n")
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


# -- special measures -----------------------------------------------------------------------

_MEASURES = re.compile(r"\bspecial measures\b")
_REMOVED = re.compile(
    r"(?:no\s+longer|not\s+(?:be\s+)?(?:remain\s+)?)\s+(?:\w+\s+){0,2}?in\s+(?:the\s+)?$"
    r"|(?:taken|come|came|coming|removed|moved|exit\w*|released|brought|lifted)\s+(?:\w+\s+)?"
    r"(?:out\s+of|from|of)\s+(?:the\s+)?$|\bout\s+of\s+(?:the\s+)?$|\bexit(?:ed|s|ing)?\s+$"
)
_REMAINS = re.compile(
    r"(?:remains?|remained|remaining|continues?\s+to\s+be|continued\s+to\s+be|still|stay\w*"
    r"|kept|keep\w*)\s+(?:\w+\s+){0,2}?in\s+(?:the\s+)?$"
)
_PLACED = re.compile(
    r"(?:placed|plac(?:e|es|ing)|put|putting|go(?:es|ing)?|gone|went|enter(?:ed|ing|s)?)\s+"
    r"(?:\w+\s+){0,3}?in(?:to)?\s+(?:the\s+)?$"
    r"|\b(?:is|are|was|were|now)\s+(?:therefore\s+|now\s+|currently\s+|also\s+)*in\s+(?:the\s+)?$"
)
_RANK = {"remains": 3, "removed": 2, "placed": 1}
_LEADS_IN = frozenset({"in", "the", "into", "of", "from", "exit", "exited", "exits", "exiting"})


def special_measures(lowered: str, tense: Callable[[int], str]) -> Iterator[str]:
    """What one sentence says of this service and special measures: placed, remains, removed."""
    for match in _MEASURES.finditer(lowered):
        before = lowered[max(0, match.start() - 70) : match.start()]
        # Every wording of a state ends in one of these words ("remains in", "out of"...):
        # most mentions ("the purpose of special measures") need no closer look.
        if before.rsplit(None, 1)[-1:] == [] or before.rsplit(None, 1)[-1] not in _LEADS_IN:
            continue
        if _CONDITION.search(clause_before(lowered, match.start())):
            continue
        state = None
        if _REMOVED.search(before):
            state = "removed"
        elif _REMAINS.search(before):
            state = "remains"
        elif _PLACED.search(before):
            state = "placed"
        if state is not None and tense(match.start()) == "current":
            yield state


def strongest(states: list[str]) -> str | None:
    """One report, one state: "remains" beats the generic "is therefore in special measures"."""
    return max(states, key=lambda state: _RANK[state], default=None)


# -- enforcement ----------------------------------------------------------------------------

ENFORCEMENT = (
    "warning_notice",
    "urgent_action",
    "conditions",
    "suspension",
    "cancellation",
    "prosecution",
    "fixed_penalty",
    "requirement_notice",
)
_ACTIONS = {
    "warning_notice": r"warning notices?|section 29a (?:warning )?notices?|s\.? ?29a notices?",
    "urgent_action": r"urgent (?:enforcement )?(?:action|powers|procedure|notice of decision|"
    r"conditions|suspension|variation)|section 31\b|urgently (?:imposed|suspended|varied|cancel)",
    "conditions": r"conditions? (?:on|to|of) (?:the |their |its |this |the provider's |"
    r"the location's |the registered manager's )*registration|(?:impos|vari|vary|add)\w* "
    r"(?:\w+ ){0,3}?conditions?\b|notice of (?:proposal|decision) to (?:impose|vary)",
    "suspension": r"suspen(?:d|ded|ding|sion)\b (?:of )?(?:[\w']+ ){0,2}?registration"
    r"|registration (?:was|has been|had been|is) suspended",
    "cancellation": r"cancel(?:led|ling|lation)?\b (?:of )?(?:[\w']+ ){0,3}?registration"
    r"|registration (?:was|has been|had been|is) cancelled",
    "prosecution": r"prosecut(?:ed|ion|ions|ing)\b|pleaded guilty|convicted|criminal proceedings",
    "fixed_penalty": r"fixed penalty",
    "requirement_notice": r"requirement notices?|table below shows (?:where |the |why )?(?:legal )?"
    r"requirements (?:that )?were not (?:being )?met",
}
_ACTION_PATTERNS = {name: re.compile(pattern) for name, pattern in _ACTIONS.items()}
# A word each action's wording holds: the patterns run only where it occurs.
_ACTION_KEYS = {
    "warning_notice": ("warning", "29a"),
    "urgent_action": ("urgent", "section 31"),
    "conditions": ("condition",),
    "suspension": ("suspen",),
    "cancellation": ("cancel",),
    "prosecution": ("prosecut", "guilty", "convicted", "criminal"),
    "fixed_penalty": ("penalty",),
    "requirement_notice": ("requirement",),
}
_TAKEN = re.compile(
    r"\b(?:issued|issuing|served|serving|sent|gave|given|giving|imposed|imposing|placed|took"
    r"|taken|taking|used|using|brought|applied|added|varied|started|began|begun|commenced"
    r"|cancelled|suspended|prosecuted|pleaded|convicted|accepted|paid|we took|enforcement "
    r"actions? \(|table below shows)\b"
)
_NOT_TAKEN = re.compile(
    r"\b(?:not|never|n't)\s+(?:\w+\s+){0,2}?(?:issue|serve|take|taken|impose|use|cancel|suspend"
    r"|prosecute|issued|served|imposed)\b|\b(?:will|would|shall)\b|\bpropos(?:e|ing) to\b"
    r"|\bintend(?:s|ed)? to\b|\bconsidering\b"
)


def enforcement(lowered: str, tense: Callable[[int], str]) -> Iterator[str]:
    """The enforcement actions one sentence says were taken at this inspection."""
    named = [name for name, keys in _ACTION_KEYS.items() if any(key in lowered for key in keys)]
    if not named or not _TAKEN.search(lowered):
        return
    for name in named:
        for match in _ACTION_PATTERNS[name].finditer(lowered):
            clause = clause_before(lowered, match.start())
            around = clause + lowered[match.start() : match.end() + 30]
            if _conditional(clause) or _NOT_TAKEN.search(around):
                continue
            if tense(match.start()) == "current":
                yield name
                break
