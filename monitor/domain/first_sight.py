"""A location's first snapshot, seen by a monitor that was already watching it.

A first snapshot is a silent baseline: it only says how things stand. But a location enters
the watchlist on a day, and a report, rating or deregistration that CQC published on or after
that day is news the user was promised. ``as_of`` rebuilds, from the document's own history,
the location as it stood before that day, so the usual diff reports exactly those changes —
a legacy Good replaced by an assessment's "Requires improvement" the day after the id was
added reads as the decline it is.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.snapshot import PastRating, Rating, Snapshot


def as_of(current: Snapshot, day: str) -> Snapshot:
    """``current`` without what is dated on or after ``day`` (an ISO date)."""
    ratings = [
        earlier
        for rating in current.ratings
        if (earlier := _before(rating, day, current.past_ratings)) is not None
    ]
    reports = tuple(r for r in current.reports if not _on_or_after(r.report_date, day))
    deregistered = _on_or_after(current.deregistration_date, day)
    unchanged = len(ratings) == len(current.ratings) and all(
        mine is theirs for mine, theirs in zip(ratings, current.ratings, strict=True)
    )
    if unchanged and len(reports) == len(current.reports) and not deregistered:
        # Nothing published since: the snapshot itself, whose hash is already known (most
        # first sights; a copy would be serialised and hashed again only to compare equal).
        return current
    previous = replace(current, ratings=tuple(ratings), reports=reports)
    if deregistered:
        previous = replace(previous, registration_status="Registered", deregistration_date=None)
    return previous


def _before(rating: Rating, day: str, past: tuple[PastRating, ...]) -> Rating | None:
    """The rating as it stood before ``day``: itself, the one it replaced, or none."""
    # A rating carried over from a predecessor registration is not a new judgement.
    if rating.inherited_from or not _on_or_after(rating.date, day):
        return rating
    assert rating.date is not None
    earlier = [
        p
        for p in past
        if p.question == rating.question
        and p.service == rating.service
        and p.report_date is not None
        and p.report_date < rating.date
    ]
    if not earlier:
        return None
    prior = max(earlier, key=lambda p: p.report_date or "")
    return Rating(
        question=prior.question,
        rating=prior.rating,
        service=prior.service,
        date=prior.report_date,
        report_link_id=prior.report_link_id,
    )


def _on_or_after(date: str | None, day: str) -> bool:
    return date is not None and date[:10] >= day
