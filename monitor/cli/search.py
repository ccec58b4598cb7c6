"""``config check --resolve``: how many locations each saved search matches now, and which
configured ids CQC has no location for."""

from __future__ import annotations

from typing import Any

from monitor.bootstrap import App
from monitor.errors import MonitorError, SourceError, StorageError
from monitor.services.searches import count_matches


def resolve_searches(app: App, shown: list[dict[str, Any]]) -> None:
    """Adds ``matches_now`` to each printed search: one API request per search."""
    watch = app.search_watch()
    try:
        for search, entry in zip(watch.searches if watch else (), shown, strict=True):
            assert watch is not None
            entry["matches_now"] = count_matches(watch.api, search)
            if search.providers():
                entry["matches_now_note"] = (
                    "locations of the provider; the other filters are applied to each "
                    "location's document by the next cycle"
                )
    except SourceError as exc:
        raise MonitorError(f"could not resolve the searches: {exc}") from exc
    finally:
        app.close()


# Ids asked about one request each: past this many never-checked ids, the first cycle
# finds the rest (``status`` then lists them).
MAX_ASKED = 100


def unknown_ids(app: App, ids: list[str]) -> tuple[list[str], int]:
    """The configured ids CQC answers 404 for, of those never fetched successfully (ids with
    a baseline are known), and how many more were left unasked past MAX_ASKED."""
    try:
        from monitor.store.queries import baselined

        with app.sessions() as session:
            known = baselined(session, ids)
    except StorageError:
        known = set()  # no database (or no schema) yet: nothing is known
    unseen = [location_id for location_id in ids if location_id not in known]
    asked = unseen[:MAX_ASKED]
    try:
        missing = [i for i in asked if app.api.fetch_location(i).status == "gone"]
    except SourceError as exc:
        raise MonitorError(f"could not ask CQC about the watched ids: {exc}") from exc
    return missing, len(unseen) - len(asked)
