"""The live objects the reference pages are generated from, and the one place naming them.

When the command line, the settings or the metrics move to other modules, only the imports
of this module change; everything else reads these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from pydantic import BaseModel

import monitor.cli.common as exit_statuses
from monitor.cli.main import cli as command_line_group
from monitor.domain.events import EVENT_TYPES, SEVERITIES
from monitor.domain.search import FILTERS
from monitor.errors import __doc__ as ERROR_TREE
from monitor.runtime.metrics import DatabaseCollector, Metrics
from monitor.settings.model import Settings
from monitor.sinks.base import SinkConfig
from monitor.sinks.registry import SINK_TYPES
from monitor.sources.attempts import AttemptTally

PROGRAM = "cqc-monitor"


def command_group() -> click.Group:
    group = command_line_group
    assert isinstance(group, click.Group)
    return group


def exit_codes() -> dict[str, int]:
    """The command line's exit statuses by constant name (``EXIT_OK``...)."""
    return {
        name: value
        for name, value in vars(exit_statuses).items()
        if name.startswith("EXIT_") and isinstance(value, int)
    }


def error_tree() -> str:
    return ERROR_TREE or ""


def settings_model() -> type[BaseModel]:
    return Settings


def sink_models() -> tuple[type[BaseModel], dict[str, type[BaseModel]]]:
    """The keys every sink takes, and each sink type's own model."""
    return SinkConfig, {name: kind.Config for name, kind in SINK_TYPES.items()}


def search_filters() -> tuple[str, ...]:
    return tuple(FILTERS)


def event_types() -> tuple[str, ...]:
    return tuple(EVENT_TYPES)


def severities() -> tuple[str, ...]:
    return tuple(SEVERITIES)


@dataclass(frozen=True)
class MetricFamily:
    name: str  # as Prometheus exposes it: counters with _total
    kind: str  # counter, gauge, histogram
    help: str
    labels: tuple[str, ...]
    from_database: bool  # read from the database at scrape time: every replica says the same


def metric_families() -> list[MetricFamily]:
    """Every family ``run`` exports, without a database (nothing is collected from one)."""
    metrics = Metrics(ready=lambda: (True, {}), attempts=AttemptTally())
    wrappers = {_family_name(w): w for w in vars(metrics).values() if hasattr(w, "_labelnames")}
    found = [
        _family(family, wrappers.get(family.name), from_database=False)
        for family in metrics.registry.collect()
    ]
    database = DatabaseCollector(_never_read)
    found += [_family(family, None, from_database=True) for family in database.describe()]
    return sorted(found, key=lambda family: family.name)


def _family(family: Any, wrapper: Any, *, from_database: bool) -> MetricFamily:
    # The label names are not part of prometheus_client's public interface: read from the
    # metric object (a Counter, Gauge, Histogram) or the family a collector built.
    labels = getattr(wrapper if wrapper is not None else family, "_labelnames", ())
    name = family.name + ("_total" if family.type == "counter" else "")
    return MetricFamily(name, family.type, family.documentation, tuple(labels), from_database)


def _family_name(wrapper: Any) -> str:
    return str(getattr(wrapper, "_name", ""))


def _never_read() -> Any:
    raise AssertionError("the reference describes the database figures without reading them")
