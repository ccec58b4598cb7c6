"""The CQC rating scale and the canonical spelling of ratings and key questions."""

from __future__ import annotations

from typing import Literal

Direction = Literal["declined", "improved", "changed"]

# Ordered best to worst; only these four carry an order. Everything else is a non-rating.
SCALE: dict[str, int] = {
    "Outstanding": 4,
    "Good": 3,
    "Requires improvement": 2,
    "Inadequate": 1,
}

NON_RATINGS: tuple[str, ...] = (
    "No published rating",
    "Inspected but not rated",
    "Insufficient evidence to rate",
    "Evidence requirements partially scored",
    "Evidence requirements not yet scored",
    "No Approved Rating",
    "Not rated",
)

KEY_QUESTIONS: tuple[str, ...] = (
    "Overall",
    "Safe",
    "Effective",
    "Caring",
    "Responsive",
    "Well-led",
)
# Rated for NHS trusts as a whole (acute trusts), beside the key questions (SPEC §2.1.2).
USE_OF_RESOURCES = "Use of resources"
RATED_QUESTIONS: tuple[str, ...] = (*KEY_QUESTIONS, USE_OF_RESOURCES)
_QUESTION_ORDER = {name: index for index, name in enumerate(RATED_QUESTIONS)}

_CANONICAL = {value.casefold(): value for value in (*SCALE, *NON_RATINGS)}
_QUESTIONS = {name.casefold().replace("-", " "): name for name in RATED_QUESTIONS}


def _squash(text: str) -> str:
    return " ".join(text.split())


def canonical_rating(value: str) -> str:
    """ "Requires Improvement" and "requires  improvement" both become "Requires improvement".

    Unknown values keep their text (whitespace tidied) so nothing CQC adds later is lost.
    """
    tidy = _squash(value)
    return _CANONICAL.get(tidy.casefold(), tidy)


def canonical_question(name: str) -> str:
    tidy = _squash(name)
    return _QUESTIONS.get(tidy.casefold().replace("-", " "), tidy)


def question_order(name: str) -> int:
    return _QUESTION_ORDER.get(name, len(RATED_QUESTIONS))


def direction(old: str | None, new: str | None) -> Direction:
    if old in SCALE and new in SCALE:
        return "declined" if SCALE[new] < SCALE[old] else "improved"
    return "changed"
