"""Providers rated as a whole (NHS trusts, some large independent providers): their own
ratings, reports of type ``Provider`` and, for acute trusts, use of resources (SPEC §2.1.2).

A provider's own part of ``/providers/{id}`` is kept apart from the identity the population
builds, and laid over it when the document is served.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from monitor.sim import inspections
from monitor.sim.inspections import Doc

USE_OF_RESOURCES = "Use of resources"
NHS_TRUST = {"type": "NHS Healthcare Organisation", "ownershipType": "NHS Body"}


def rate(
    doc: Doc,
    ratings: Mapping[str, str],
    report_date: str,
    new_link: Callable[[], str],
) -> str:
    """Publish a provider's ratings ({question: rating}; ``Use of resources`` too) in one
    report of type ``Provider``; the ratings it replaces move to ``historicRatings``."""
    questions = {q: r for q, r in ratings.items() if q != USE_OF_RESOURCES}
    before = copy.deepcopy(_overall(doc).get("useOfResources"))
    history = len(doc.get("historicRatings", []))
    link = inspections.set_ratings(doc, questions, report_date, None, new_link, "Provider")
    archived = doc.get("historicRatings", [])
    if before and len(archived) > history:
        archived[0]["overall"]["useOfResources"] = {
            "useOfResourcesRating": before["useOfResourcesRating"]
        }
    if USE_OF_RESOURCES in ratings:
        _overall(doc)["useOfResources"] = {
            "useOfResourcesRating": ratings[USE_OF_RESOURCES],
            "combinedQualityRating": _overall(doc).get("rating", ""),
            "reportDate": report_date,
            "reportLinkId": link,
        }
    return link


def inherit(doc: Doc, question: str, rating: str, predecessor: str, report_date: str) -> None:
    """A key question rated under a predecessor registration and carried over
    (``organisationId``): CQC's document changes, the provider's judgement does not."""
    entries: list[Doc] = _overall(doc).setdefault("keyQuestionRatings", [])
    entry = next((e for e in entries if e.get("name") == question), None)
    if entry is None:
        entry = {"name": question}
        entries.append(entry)
    entry.update(rating=rating, reportDate=report_date, organisationId=predecessor)
    entry.pop("reportLinkId", None)


def _overall(doc: Doc) -> Doc:
    overall: Doc = doc.setdefault("currentRatings", {}).setdefault("overall", {})
    return overall
