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
    return event.location.id in (config.locations or ()) or (
        event.location.provider_id in (config.providers or ())
    )


def route(event: Event, sinks: Sequence[SinkConfig]) -> list[str]:
    return [config.name for config in sinks if matches(config, event)]
