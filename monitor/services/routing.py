"""Which sinks an event goes to (SPEC §6 routing)."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.domain.events import Event, severity_rank
from monitor.sinks.base import SinkConfig


def matches(config: SinkConfig, event: Event) -> bool:
    if config.events is not None and event.type not in config.events:
        return False
    if severity_rank(event.severity) < severity_rank(config.min_severity):
        return False
    if config.locations is None and config.providers is None:
        return True
    # Both filters given: the sink wants these locations and every location of these providers.
    if event.location.id in (config.locations or ()):
        return True
    return any(provider in (config.providers or ()) for provider in _providers(event))


def _providers(event: Event) -> list[str | None]:
    """The event's provider, and the previous one when the provider itself changed: people
    watching the provider a location left must hear that it left."""
    providers = [event.location.provider_id]
    if event.type == "details_changed":
        providers += [
            c.get("old") for c in event.details.get("changes", ()) if c.get("field") == "provider"
        ]
    return providers


def route(event: Event, sinks: Sequence[SinkConfig]) -> list[str]:
    return [config.name for config in sinks if matches(config, event)]
