"""The values the monitor knows, in one place: the reader places ratings and statuses by them,
and the shape watch reports any value outside them (SPEC §2.1.3).

The rating scale, the non-ratings and the key questions are defined in ``ratings`` (the
diff's scale); this module adds the other enumerated fields of CQC's documents and says which
field of a document holds which vocabulary. A value is compared in a normalised form (case and
runs of spaces do not make a value new: the reader ignores them too).
"""

from __future__ import annotations

from monitor.domain.ratings import KEY_QUESTIONS, NON_RATINGS, SCALE, canonical_rating

# Assessment-framework items: ``status`` says whether an item counts (SPEC §2.1.1 rule 1).
CURRENT = "Current"
HISTORIC = "Historic"
# What a key question item's ``status`` and an item's ``assessmentPlanStatus`` say.
ASSESSED = "Assessed"
REGISTERED = "Registered"
DEREGISTERED = "Deregistered"

# The vocabularies of enumerated fields, by the name the shape watch reports them under.
RATING = "rating"
KEY_QUESTION = "key_question"
SERVICE_GROUP = "service_group"
ASSESSMENT_STATUS = "assessment_status"
KEY_QUESTION_STATUS = "key_question_status"
PLAN_STATUS = "assessment_plan_status"
REGISTRATION_STATUS = "registration_status"
REPORT_TYPE = "report_type"
ORGANISATION_TYPE = "organisation_type"

_KNOWN: dict[str, tuple[str, ...]] = {
    RATING: (*SCALE, *NON_RATINGS),
    KEY_QUESTION: tuple(q for q in KEY_QUESTIONS if q != "Overall"),
    # CQC documents "Care Homes"; the first full review learns the groups a deployment sees.
    SERVICE_GROUP: ("Care Homes",),
    ASSESSMENT_STATUS: (CURRENT, HISTORIC),
    KEY_QUESTION_STATUS: (ASSESSED,),
    PLAN_STATUS: (ASSESSED,),
    REGISTRATION_STATUS: (REGISTERED, DEREGISTERED),
    # The values CQC's API documentation gives for ``reportType``.
    REPORT_TYPE: ("Location", "Provider", "CoreService"),
    # The organisation types of CQC's register (the top-level ``type``).
    ORGANISATION_TYPE: (
        "Social Care Org",
        "Primary Medical Services",
        "Independent Healthcare Org",
        "NHS Healthcare Organisation",
        "Primary Dental Care",
        "Independent Ambulance",
    ),
}
VOCABULARIES: tuple[str, ...] = tuple(_KNOWN)


def value_key(vocabulary: str, value: str) -> str:
    """The form two spellings of one value share: "Requires Improvement" and "requires
    improvement" are one rating, as the reader reads them."""
    tidy = canonical_rating(value) if vocabulary == RATING else " ".join(value.split())
    return tidy.casefold().replace("-", " ") if vocabulary == KEY_QUESTION else tidy.casefold()


_KNOWN_KEYS: dict[str, frozenset[str]] = {
    name: frozenset(value_key(name, value) for value in values) for name, values in _KNOWN.items()
}


def is_known(vocabulary: str, value: str) -> bool:
    return value_key(vocabulary, value) in _KNOWN_KEYS.get(vocabulary, frozenset())


def placeable(rating: str | None) -> bool:
    """Whether the diff can read a rating label: on the scale, or one of the non-ratings.

    Anything else (a label CQC adds, such as "Exceptional") is recorded as published but is
    never read as a decline or an improvement; the shape watch reports it.
    """
    return rating is not None and (rating in SCALE or rating in NON_RATINGS)


def is_current(status: str | None) -> bool:
    """An assessment item counts when its ``status`` is absent or "Current" (any case)."""
    return status is None or status.casefold() == CURRENT.casefold()


def field_of(path: str) -> str | None:
    """The vocabulary of the field at ``path`` (arrays collapsed to ``[]``), or None when the
    field is not enumerated. One rule for every kind of document."""
    parent, _, leaf = path.rpartition(".")
    if leaf in _RATING_LEAVES:
        return RATING
    if leaf == "name":
        return _NAMED.get(parent.rpartition(".")[2])
    if leaf == "status":
        if parent.endswith("keyQuestionRatings[]"):
            return KEY_QUESTION_STATUS
        return ASSESSMENT_STATUS if _is_assessment_item(parent) else None
    if leaf == "assessmentPlanStatus":
        return PLAN_STATUS
    if leaf == "reportType":
        return REPORT_TYPE
    if parent == "":
        return _TOP_LEVEL.get(leaf)
    return None


_RATING_LEAVES = frozenset({"rating", "useOfResourcesRating", "combinedQualityRating"})
_NAMED = {
    "keyQuestionRatings[]": KEY_QUESTION,
    "asgRatings[]": SERVICE_GROUP,
    "assessmentServiceGroup[]": SERVICE_GROUP,
}
_TOP_LEVEL = {"registrationStatus": REGISTRATION_STATUS, "type": ORGANISATION_TYPE}


def _is_assessment_item(parent: str) -> bool:
    return parent.startswith("assessment[]") and parent.endswith(("overall[]", "asgRatings[]"))


def describe(vocabulary: str) -> str:
    """How a vocabulary is named to people: "rating", "service group"."""
    return vocabulary.replace("_", " ")
