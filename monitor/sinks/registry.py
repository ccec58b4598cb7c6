"""Every sink type, by the ``type`` key of a ``[[sinks]]`` table, and how to build one."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from pydantic import ValidationError

from monitor.config_model import describe, did_you_mean
from monitor.domain.events import Event, LocationRef, event_id
from monitor.domain.snapshot import LOCATION_PAGE, REPORT_PAGE
from monitor.errors import ConfigError
from monitor.sinks.base import Sink, SinkConfig


class _SinkTypes(Mapping[str, type[Any]]):
    """Each sink type's class by its ``type`` key, imported when first asked for: a process
    loads the sinks its configuration names, not the SMTP, signing and rendering code of
    every other (a ``check`` with no sinks loads none)."""

    _WHERE: ClassVar[dict[str, tuple[str, str]]] = {
        "email": ("monitor.sinks.email", "EmailSink"),
        "webhook": ("monitor.sinks.webhook", "WebhookSink"),
        "apprise": ("monitor.sinks.apprise_sink", "AppriseSink"),
        "console": ("monitor.sinks.console", "ConsoleSink"),
    }

    def __getitem__(self, kind: str) -> type[Any]:
        module, name = self._WHERE[kind]
        sink_type: type[Any] = getattr(importlib.import_module(module), name)
        return sink_type

    def __iter__(self) -> Iterator[str]:
        return iter(self._WHERE)

    def __len__(self) -> int:
        return len(self._WHERE)


SINK_TYPES: Mapping[str, type[Any]] = _SinkTypes()


def parse_sink_config(section: Mapping[str, Any]) -> SinkConfig:
    """Validates one ``[[sinks]]`` table with its type's own ``Config``.

    Raises ConfigError naming the offending key; the message never quotes the value,
    which may be a secret.
    """
    config, problems = checked_sink_config(section)
    if config is None:
        first, others = problems[0], problems[1:]
        where = f"sink {section.get('name')!r}: " if section.get("name") else ""
        also = "".join(f"; also {other.key}: {other.message}" for other in others)
        raise ConfigError(first.key or "sinks", where + first.message + also)
    return config


def checked_sink_config(
    section: Mapping[str, Any],
) -> tuple[SinkConfig | None, list[ConfigError]]:
    """One ``[[sinks]]`` table validated by its type, or every problem it has, each named
    by its key within the table (``events``, ``type``)."""
    kind = section.get("type")
    sink_type = SINK_TYPES.get(kind) if isinstance(kind, str) else None
    if sink_type is None:
        known = ", ".join(SINK_TYPES)
        hint = did_you_mean(kind, SINK_TYPES)
        return None, [ConfigError("type", f"unknown sink type {kind!r}{hint}; expected {known}")]
    config_class = cast(type[SinkConfig], sink_type.Config)
    try:
        return config_class.model_validate(dict(section)), []
    except ValidationError as exc:
        # The pydantic text quotes input values, which may be secrets: described instead.
        fields = list(config_class.model_fields)
        return None, [
            ConfigError(_key(error["loc"]), describe(error, fields)) for error in exc.errors()
        ]


def build_sink(section: Mapping[str, Any]) -> Sink:
    return make_sink(parse_sink_config(section))


def make_sink(config: SinkConfig) -> Sink:
    """A sink from an already validated config."""
    return cast(Sink, SINK_TYPES[config.type](config))


def _key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def sample_event(now: datetime | None = None) -> Event:
    """A realistic rating downgrade for ``sinks test NAME``, marked as a test.

    Each call at another moment is a distinct event (own id), so receivers and mail services
    never drop a second test as a duplicate of the first.
    """
    detected_at = (now or datetime(2025, 11, 3, 7, 0, 12, tzinfo=UTC)).astimezone(UTC)
    stamp = detected_at.isoformat().replace("+00:00", "Z")
    # No CQC id has letters after "1-", and no care home is called this: nobody mistakes the
    # sample for a real service, in an inbox or in a receiver's database.
    location_id, link_id = "1-TEST0000000", "00000000-0000-0000-0000-000000000000"
    name = "Example Care Home (cqc-monitor test, not a real service)"
    changes = [
        {
            "question": question,
            "service": None,
            "old": "Good",
            "new": "Requires improvement",
            "direction": "declined",
        }
        for question in ("Overall", "Safe")
    ]
    return Event(
        id=event_id(location_id, "rating_changed", "sample", link_id, stamp),
        type="rating_changed",
        severity="critical",
        detected_at=stamp,
        location=LocationRef(
            id=location_id,
            name=name,
            provider_id="1-TEST0000000",
            url=LOCATION_PAGE.format(id=location_id),
        ),
        summary=f"[TEST] {name}: Overall rating fell from Good to Requires improvement "
        "(a sample alert from cqc-monitor sinks test).",
        details={
            "changes": changes,
            "report_date": "2025-10-29",
            "report_link_id": link_id,
            "report_url": REPORT_PAGE.format(location_id=location_id, link_id=link_id),
        },
        test=True,
    )
