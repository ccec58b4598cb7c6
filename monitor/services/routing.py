"""Which sinks an event goes to (SPEC §6 routing)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from monitor.domain.events import Event, severity_rank
from monitor.sinks.base import SinkConfig
from monitor.store.outbox import Route


class Router(Protocol):
    """An event's routes (each sink, at once or held for its digest); ``searches``: the saved
    searches its location belongs to."""

    def __call__(self, event: Event, searches: Collection[str] = ()) -> list[Route]: ...


def matches(config: SinkConfig, event: Event, searches: Collection[str] = ()) -> bool:
    if config.events is not None and event.type not in config.events:
        return False
    if severity_rank(event.severity) < severity_rank(config.min_severity):
        return False
    if config.locations is None and config.providers is None and config.searches is None:
        return True
    # Several filters given: the sink wants these locations, every location of these
    # providers and every location of these searches.
    if event.location is not None and event.location.id in (config.locations or ()):
        return True
    if any(search in (config.searches or ()) for search in _searches(event, searches)):
        return True
    return any(provider in (config.providers or ()) for provider in _providers(event))


def _searches(event: Event, searches: Collection[str]) -> list[str]:
    """The searches the location belongs to, and the one it joined or left."""
    found = list(searches)
    if event.type in ("location_added", "location_left"):
        found.append(str(event.details.get("search")))
    return found


def _providers(event: Event) -> list[str | None]:
    """The event's provider, and the previous one when the provider itself changed: people
    watching the provider a location left must hear that it left."""
    providers = [event.provider_id]
    if event.type == "details_changed":
        providers += [
            c.get("old") for c in event.details.get("changes", ()) if c.get("field") == "provider"
        ]
    return providers


def route(event: Event, sinks: Sequence[SinkConfig], searches: Collection[str] = ()) -> list[str]:
    return [config.name for config in sinks if matches(config, event, searches)]
