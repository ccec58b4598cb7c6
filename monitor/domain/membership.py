"""Joining and leaving saved searches: the pure decision, and its two events (SPEC §5.2).

A fetched location is judged against every search by ``matches``. It joins a search it now
matches (``location_added``) and leaves one it no longer matches (``location_left``). While a
search is baselined — its first resolution, or the first after its filters changed — joining
and leaving are silent, except for services registered on or after the day the search was
set up: the monitor was already watching the area when they registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.ratings import SCALE, question_order
from monitor.domain.search import LABELS, LocationFacts, Search, matched_values, matches
from monitor.domain.search import mismatches as unmet
from monitor.domain.snapshot import Rating

# A service that joins within this many days of its registration date is a new registration.
NEW_REGISTRATION_DAYS = 30


@dataclass(frozen=True, slots=True)
class Sighting:
    """A location fetched this cycle, as its search memberships need it."""

    ref: LocationRef
    facts: LocationFacts
    content_hash: str
    ratings: tuple[Rating, ...] = ()  # the effective ratings (location level is used)
    registration_date: str | None = None
    deregistered: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the location stands with one search before this sighting."""

    search: Search
    member_since: str | None = None  # when it joined; None: not a member
    left_at: str | None = None  # when it last left, if ever
    baseline_day: str | None = None  # ISO day: the search is being baselined since then


@dataclass(frozen=True, slots=True)
class Change:
    search: str
    joined: bool  # True: joins the search; False: leaves it
    event: Event | None = None  # None: a silent change


def membership_changes(
    sighting: Sighting, standings: list[Standing], *, detected_at: str
) -> list[Change]:
    """How the location's membership of each search changes with what was fetched."""
    changes = []
    for standing in standings:
        change = _change(sighting, standing, detected_at)
        if change is not None:
            changes.append(change)
    return changes


def _change(sighting: Sighting, standing: Standing, detected_at: str) -> Change | None:
    # A deregistered service is no longer one to watch; registration_changed said so.
    now = not sighting.deregistered and matches(standing.search, sighting.facts)
    member = standing.member_since is not None
    name = standing.search.name
    if now and not member:
        return Change(name, True, _added(sighting, standing, detected_at))
    if member and not now:
        quiet = sighting.deregistered or standing.baseline_day is not None
        return Change(
            name, False, None if quiet else location_left(sighting, standing, detected_at)
        )
    return None


def _added(sighting: Sighting, standing: Standing, detected_at: str) -> Event | None:
    registered = sighting.registration_date
    if standing.baseline_day is not None and (registered or "") < standing.baseline_day:
        return None  # found by the search's first resolution: part of its baseline
    return location_added(sighting, standing, detected_at)


def registration_reason(registered: str | None, detected_at: str) -> str:
    """``new_registration`` within 30 days of the registration date, else ``now_matches``."""
    if registered is None:
        return "now_matches"
    age = date.fromisoformat(detected_at[:10]) - date.fromisoformat(registered[:10])
    return "new_registration" if age.days <= NEW_REGISTRATION_DAYS else "now_matches"


def location_added(sighting: Sighting, standing: Standing, detected_at: str) -> Event:
    search, facts = standing.search, sighting.facts
    reason = registration_reason(sighting.registration_date, detected_at)
    kind, place, rated = _kind(facts), _place(facts), _rating_phrase(sighting.ratings)
    if reason == "new_registration":
        summary = f"New {kind} registered{place}: {sighting.ref.name}, {rated} ({search.name})."
    else:
        summary = f"{sighting.ref.name} now matches {search.name}: {kind}{place}, {rated}."
    details = {
        "search": search.name,
        "reason": reason,
        "registration_date": sighting.registration_date,
        "matched": matched_values(search, facts),
        "ratings": _rating_rows(sighting.ratings),
    }
    return Event(
        # The previous departure makes a later return a new event, never a duplicate.
        id=event_id(
            sighting.ref.id, "location_added", search.name, sighting.content_hash, standing.left_at
        ),
        type="location_added",
        severity="info",
        detected_at=detected_at,
        location=sighting.ref,
        summary=summary,
        details=details,
    )


def location_left(sighting: Sighting, standing: Standing, detected_at: str) -> Event:
    search = standing.search
    wanted = dict(search.filters)
    unmet_now = unmet(search, sighting.facts)
    rows = [
        {"filter": key, "label": LABELS[key], "wanted": list(wanted[key]), "now": list(values)}
        for key, values in unmet_now
    ]
    reasons = "; ".join(f"{LABELS[key]} now {_listed(values)}" for key, values in unmet_now)
    details: dict[str, Any] = {
        "search": search.name,
        "reason": "no_longer_matches",
        "mismatches": rows,
        "ratings": _rating_rows(sighting.ratings),
    }
    return Event(
        id=event_id(
            sighting.ref.id,
            "location_left",
            search.name,
            sighting.content_hash,
            standing.member_since,
        ),
        type="location_left",
        severity="info",
        detected_at=detected_at,
        location=sighting.ref,
        summary=f"{sighting.ref.name} no longer matches {search.name}: {reasons}.",
        details=details,
    )


# -- wording ----------------------------------------------------------------------------


def _kind(facts: LocationFacts) -> str:
    """``care home``, else the first service type (``dental service``), else ``service``."""
    if any(value.upper() == "Y" for value in facts.care_home):
        return "care home"
    if facts.service_types:
        first = facts.service_types[0]
        return first[:1].lower() + first[1:]
    return "service"


def _place(facts: LocationFacts) -> str:
    where = facts.local_authority or facts.region
    return f" in {where[0]}" if where else ""


def _rating_phrase(ratings: tuple[Rating, ...]) -> str:
    overall = next((r for r in ratings if r.question == "Overall" and r.service is None), None)
    if overall is None or overall.rating == "No published rating":
        return "not yet rated"
    if overall.rating in SCALE:
        return f"rated {overall.rating}"
    return overall.rating[:1].lower() + overall.rating[1:]


def _rating_rows(ratings: tuple[Rating, ...]) -> list[dict[str, Any]]:
    """The location-level ratings, Overall first: how the service stands as it joins."""
    own = sorted(
        (r for r in ratings if r.service is None), key=lambda r: question_order(r.question)
    )
    return [
        {"question": r.question, "rating": r.rating, "date": r.date, "framework": r.framework}
        for r in own
    ]


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else "none"
