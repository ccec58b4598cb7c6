"""Ratings under CQC's Single Assessment Framework (SAF): ``assessment[]`` → ratings (SPEC 2.1.1).

Shape: ``assessment[] → {assessmentPlanPublishedDateTime, ratings: {overall: [item],
asgRatings: [item]}}``; an item has ``rating``, ``status`` ("Current" | "Historic"),
``assessmentPlanId``, ``assessmentDate``, ``name`` (service group, asgRatings only) and
``keyQuestionRatings`` whose own ``status`` ("Assessed") says whether the question was
assessed, not whether the rating is current.

Reading rules:
1. an item counts when its ``status`` is absent or "Current"; ``assessmentPlanStatus`` decides
   nothing; a counted item's key questions all count, whatever their own ``status``;
2. the location's rating is the newest current ``overall[]`` item; without one, the current
   ``asgRatings[]`` group (social care publishes its rating there), and with several groups
   of different names the newest group, each group also kept under its own name;
3. historic items are never compared; they are kept as past ratings for the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from monitor.domain.ratings import canonical_question, canonical_rating
from monitor.domain.snapshot import PastRating, Rating
from monitor.domain.vocabulary import is_current
from monitor.sources import api_values as values

FRAMEWORK = "assessment"


@dataclass(frozen=True, slots=True)
class _Item:
    """One ``overall[]`` or ``asgRatings[]`` item with the dates that order it."""

    body: dict[str, Any]
    group: str | None  # the service group's name; None for ``overall[]`` items
    published: str | None
    assessed: str | None
    current: bool

    @property
    def date(self) -> str | None:
        return self.published or self.assessed

    @property
    def recency(self) -> tuple[str, str]:
        return (self.published or "", self.assessed or "")


def assessment_ratings(doc: dict[str, Any]) -> Iterator[Rating]:
    """The current SAF ratings, location level and per service group."""
    items = [item for item in _items(doc) if item.current]
    overall = [item for item in items if item.group is None]
    groups = _newest_per_group(item for item in items if item.group is not None)
    if overall:
        yield from _ratings(max(overall, key=_recency), service=None)
    elif groups:
        yield from _ratings(max(groups.values(), key=_recency), service=None)
        if len(groups) == 1:
            return  # the one group *is* the location: not a service of it as well
    for name, item in groups.items():
        yield from _ratings(item, service=name)


def assessment_history(doc: dict[str, Any]) -> Iterator[PastRating]:
    """Historic SAF items, for the audit trail and the ratings timeline."""
    for item in _items(doc):
        if item.current:
            continue
        for rating in _ratings(item, service=item.group):
            yield PastRating(
                rating.date, rating.report_link_id, rating.question, rating.rating, rating.service
            )


def _items(doc: dict[str, Any]) -> Iterator[_Item]:
    for index, assessment in enumerate(values.objects(doc.get("assessment"), "assessment")):
        where = f"assessment[{index}]"
        published = values.iso_date(
            assessment.get("assessmentPlanPublishedDateTime"),
            f"{where}.assessmentPlanPublishedDateTime",
        )
        ratings = values.mapping(assessment.get("ratings"), f"{where}.ratings")
        if ratings is None:
            continue
        for key in ("overall", "asgRatings"):
            for body in values.objects(ratings.get(key), f"{where}.ratings.{key}"):
                yield _item(body, key, published, f"{where}.ratings.{key}[]")


def _item(body: dict[str, Any], key: str, published: str | None, where: str) -> _Item:
    status = values.text(body.get("status"), f"{where}.status")
    group = values.text(body.get("name"), f"{where}.name") if key == "asgRatings" else None
    return _Item(
        body=body,
        # An unnamed group is still the location's social-care rating.
        group=(group or "Service group") if key == "asgRatings" else None,
        # An item may carry its own publication date; it is the more precise one.
        published=values.iso_date(
            body.get("assessmentPlanPublishedDateTime"), f"{where}.assessmentPlanPublishedDateTime"
        )
        or published,
        assessed=values.iso_date(body.get("assessmentDate"), f"{where}.assessmentDate"),
        current=is_current(status),
    )


def _newest_per_group(items: Iterator[_Item]) -> dict[str, _Item]:
    newest: dict[str, _Item] = {}
    for item in items:
        assert item.group is not None
        held = newest.get(item.group)
        if held is None or item.recency > held.recency:
            newest[item.group] = item
    return dict(sorted(newest.items()))


def _recency(item: _Item) -> tuple[str, str]:
    return item.recency


def _ratings(item: _Item, *, service: str | None) -> Iterator[Rating]:
    plan = values.identifier(item.body.get("assessmentPlanId"), "assessmentPlanId")
    overall = values.text(item.body.get("rating"), "rating")
    if overall:
        yield _rating("Overall", overall, service, item, plan)
    for kq in values.objects(item.body.get("keyQuestionRatings"), "keyQuestionRatings"):
        name = values.text(kq.get("name"), "keyQuestionRatings[].name")
        rating = values.text(kq.get("rating"), "keyQuestionRatings[].rating")
        if name and rating:
            yield _rating(canonical_question(name), rating, service, item, plan)


def _rating(
    question: str, rating: str, service: str | None, item: _Item, plan: str | None
) -> Rating:
    return Rating(
        question=question,
        rating=canonical_rating(rating),
        service=service,
        date=item.date,
        report_link_id=plan,
        inherited_from=values.identifier(item.body.get("organisationId"), "organisationId"),
        framework=FRAMEWORK,
    )
