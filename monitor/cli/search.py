"""``config check --resolve``: how many locations each saved search matches now."""

from __future__ import annotations

from typing import Any

from monitor.bootstrap import App
from monitor.errors import MonitorError, SourceError
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
