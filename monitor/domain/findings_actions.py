"""The rules that read one sentence of a report for special measures and enforcement (SPEC §5.3).

As with breaches (:mod:`monitor.domain.findings_rules`), each rule sees a lower-cased sentence
without quotation marks and keeps only what it states of *this* inspection as done: special
measures in general ("Services that are in special measures are kept under review"), denied
("it is not being placed into special measures"), enforcement under a condition, proposed in
the future or only being considered ("We are currently considering our enforcement options")
are not findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from monitor.domain import regulations
from monitor.domain.findings_rules import Breach, clause_before, conditional
from monitor.domain.tense import CURRENT

# -- special measures -----------------------------------------------------------------------

_MEASURES = re.compile(r"\bspecial measures\b")
_REMOVED = re.compile(
    r"(?:no\s+longer|not\s+(?:be\s+)?(?:remain\s+)?)\s+(?:\w+\s+){0,2}?in\s+(?:the\s+)?$"
    r"|(?:taken|come|came|coming|removed|moved|exit\w*|released|brought|lifted)\s+(?:\w+\s+)?"
    r"(?:out\s+of|from|of)\s+(?:the\s+)?$|\bout\s+of\s+(?:the\s+)?$|\bexit(?:ed|s|ing)?\s+$"
)
_REMAINS = re.compile(
    r"(?:remains?|remained|remaining|continu(?:e|es|ed|ing)|still|stay\w*|kept|keep\w*)\s+"
    r"(?:\w+\s+){0,2}?in\s+(?:the\s+)?$"
)
# "Was in special measures" is not here: it tells of a time before this report.
_PLACED = re.compile(
    r"(?:placed|plac(?:e|es|ing)|put|putting|go(?:es|ing)?|gone|went|enter(?:ed|ing|s)?)\s+"
    r"(?:\w+\s+){0,3}?in(?:to)?\s+(?:the\s+)?$"
    r"|\b(?:is|are|now)\s+(?:therefore\s+|now\s+|currently\s+|also\s+)*in\s+(?:the\s+)?$"
    r"|\brecommended\s+(?:\w+\s+){0,3}?for\s+$"
)
# Special measures in general, as what happens to services in them, and a placing denied.
# (A provider's report may count its locations in special measures: "2 of which are in".)
_GENERIC = re.compile(
    r"(?:\b(?:services|providers|practices|trusts|hospitals|locations|homes)\s+(?:that\s+"
    r"|which\s+|who\s+)?|\bof\s+(?:which|them|these)\s+)(?:are\s+|were\s+|have\s+been\s+"
    r"|being\s+)?(?:placed\s+|put\s+|kept\s+)?in(?:to)?\s+(?:the\s+)?$"
)
_NOT_PLACED = re.compile(
    r"\b(?:not|n't|never)\s+(?:be\s+|being\s+|been\s+)?(?:placed|put|going|entered)\s+"
    r"(?:\w+\s+){0,2}?in(?:to)?\s+(?:the\s+)?$"
)
_RANK = {"remains": 3, "removed": 2, "placed": 1}
_LEADS_IN = frozenset(
    {"in", "the", "into", "of", "from", "for", "exit", "exited", "exits", "exiting"}
)


def special_measures(lowered: str, tense: Callable[[int], str]) -> Iterator[str]:
    """What one sentence says of this service and special measures: placed, remains, removed."""
    for match in _MEASURES.finditer(lowered):
        before = lowered[max(0, match.start() - 70) : match.start()]
        # Every wording of a state ends in one of these words ("remains in", "out of"...):
        # most mentions ("the purpose of special measures") need no closer look.
        last = before.rsplit(None, 2)[-2:]
        if not last or last[-1] not in _LEADS_IN or (last[-1] == "of" and last[0] != "out"):
            continue
        state = _state(before)
        if state is None or _GENERIC.search(before):
            continue
        if (
            not conditional(clause_before(lowered, match.start()))
            and tense(match.start()) == CURRENT
        ):
            yield state


def _state(before: str) -> str | None:
    if _REMOVED.search(before):
        return "removed"
    if _REMAINS.search(before):
        return "remains"
    if _PLACED.search(before) and not _NOT_PLACED.search(before):
        return "placed"
    return None


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
    "conditions": r"conditions? (?:(?:imposed|placed|added) )?(?:on|to|of) (?:the |their |its "
    r"|this |the provider's |the location's |the registered manager's )*registration"
    r"|(?:impos|vari|vary|add)\w* "
    r"(?:\w+ ){0,3}?conditions?\b|notice of (?:proposal|decision) to (?:impose|vary)",
    "suspension": r"suspen(?:d|ded|ding|sion)\b (?:of )?(?:[\w']+ ){0,2}?registration"
    r"|registration (?:was |has been |had been |is )?suspended",
    "cancellation": r"cancel(?:led|ling|lation)?\b (?:of )?(?:[\w']+ ){0,3}?registration"
    r"|registration (?:was |has been |had been |is )?cancelled"
    r"|remov(?:e|ed|al of|ing) (?:this |the |a )?location from (?:[\w']+ ){0,2}?registration",
    "prosecution": r"prosecut(?:e|ed|es|ion|ions|ing)\b|(?:pleaded|pleading|pled|found) guilty"
    r"|convicted|criminal proceedings",
    "fixed_penalty": r"fixed penalty",
    # The table of requirement notices ("where regulations were not being met and we have
    # asked the provider to send us a report"), not the enforcement table ("... and we have
    # taken enforcement action").
    "requirement_notice": r"requirements? notices?|table below shows (?:where |the |why )?"
    r"(?:legal )?(?:requirements|regulations) (?:that )?were not (?:being )?met"
    r"(?![^.]*enforcement action)",
}
_ACTION_PATTERNS = {name: re.compile(pattern) for name, pattern in _ACTIONS.items()}
# A word each action's wording holds: the patterns run only where it occurs.
_ACTION_KEYS = {
    "warning_notice": ("warning", "29a"),
    "urgent_action": ("urgent", "section 31"),
    "conditions": ("condition",),
    "suspension": ("suspen",),
    "cancellation": ("cancel", "location from"),
    "prosecution": ("prosecut", "guilty", "convicted", "criminal"),
    "fixed_penalty": ("penalty",),
    "requirement_notice": ("requirement", "table below"),
}
_KEY_NAMES = tuple((key, name) for name, keys in _ACTION_KEYS.items() for key in keys)
_TAKEN = re.compile(
    r"\b(?:issued|issuing|served|serving|sent|gave|given|giving|imposed|imposing|placed|took"
    r"|taken|taking|used|using|brought|applied|added|varied|started|began|begun|commenced"
    r"|cancelled|suspended|prosecuted|pleaded|pleading|convicted|accepted|paid|we took"
    r"|enforcement actions? \(|table below shows|details?|detailed|set out)\b"
)
_NOT_TAKEN = re.compile(
    r"\b(?:not|never|n't)\s+(?:\w+\s+){0,2}?(?:issue|serve|take|taken|impose|use|cancel|suspend"
    r"|prosecute|issued|served|imposed)\b|\b(?:will|would|shall)\b|\bpropos(?:e|ing) to\b"
    r"|\bintend(?:s|ed)? to\b|\bconsidering\b"
)
# A prosecution named as what another action stands instead of.
_INSTEAD = re.compile(r"(?:in lieu of|instead of|rather than|alternative to)\s+(?:a\s+)?$")
# What the provider did of its own accord ("The provider took urgent action to address the
# concerns", "the registration was cancelled at the provider's request"), and what another
# body did ("prosecuted by the Health and Safety Executive"): not CQC's enforcement.
_NOT_OURS = re.compile(
    r"\b(?:provider|manager|registered person|staff|service|home|practice|trust|leaders?"
    r"|leadership|team|they|management)\b[^.;]{0,40}?\b(?:took|taken|taking)\s+"
    r"(?:\w+\s+){0,2}$"
    r"|\bvoluntar\w*|\bapplied to\s+(?:\w+\s+){0,3}$"
)
_NOT_OURS_AFTER = re.compile(  # matched where the action's words end
    r"[^.;]{0,50}?\b(?:at (?:the|their|its) (?:own )?(?:provider's |manager's )?request"
    r"|by (?:the )?(?:health and safety executive|hse|police|local authority|council"
    r"|fire (?:and rescue )?service|environmental health|information commissioner))"
)


def enforcement(lowered: str, tense: Callable[[int], str]) -> Iterator[str]:
    """The enforcement actions one sentence says were taken at this inspection."""
    named = dict.fromkeys(name for key, name in _KEY_NAMES if key in lowered)
    if not named or not _TAKEN.search(lowered):
        return
    for name in named:
        for match in _ACTION_PATTERNS[name].finditer(lowered):
            if _taken(lowered, match.start(), match.end()) and tense(match.start()) == "current":
                yield name
                break


def _taken(lowered: str, start: int, end: int) -> bool:
    clause = clause_before(lowered, start)
    if conditional(clause) or _NOT_TAKEN.search(clause + lowered[start : end + 30]):
        return False
    if _INSTEAD.search(clause[-24:]) or _NOT_OURS.search(clause[-80:]):
        return False
    return not _NOT_OURS_AFTER.match(lowered, end)


# -- the regulations a notice was served for ------------------------------------------------

_NOTICE = re.compile(r"(?:warning|requirement)s? notices?")
_NOTICE_SUBJECT = re.compile(
    r"\b(?:in relation to|relating to|related to|in respect of|regarding|concerning)\b"
)
_CLAUSE_END = re.compile(r";|\. |\bbreach")


def notices(
    lowered: str, scheme: str, tense: Callable[[int], str], sentence: int
) -> Iterator[Breach]:
    """ "We served warning notices in relation to regulations 12 and 17": a notice is served
    for a breach, so the regulations it names were breached (at the inspection the sentence
    speaks of: an earlier one's are what "remained in breach of these regulations" means)."""
    if not _TAKEN.search(lowered):
        return  # "had met the warning notice": a notice served before, not what it was for
    for match in _NOTICE.finditer(lowered):
        if not _taken(lowered, match.start(), match.end()):
            continue
        after = lowered[match.end() : match.end() + 240]
        # A breach the clause goes on to name is read by the breach rules.
        end = _CLAUSE_END.search(after)
        after = after[: end.start()] if end else after
        named = frozenset(regulations.numbered(after, scheme))
        subject = _NOTICE_SUBJECT.search(after) if not named else None
        if subject is not None:
            named = frozenset(regulations.by_subject(after[subject.end() :]))
        if named:
            yield Breach(tense(match.start()), sentence, regulations=named)
