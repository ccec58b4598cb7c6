"""A sink's digest settings are validated like every other key: a mistake names it."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.errors import ConfigError
from monitor.settings.model import settings_from_dict, sink_configs
from monitor.sinks.base import SinkConfig
from tests.support.events import HENLEY, make_event

CONSOLE = {"name": "board", "type": "console"}


def sink(**keys: Any) -> SinkConfig:
    data = {"sources": {"cqc_api": {"subscription_key": "k"}}, "sinks": [CONSOLE | keys]}
    (config,) = sink_configs(settings_from_dict(data).sinks)
    return config


def test_a_digest_holds_what_is_below_critical_by_default() -> None:
    config = sink(digest="0 8 * * 1")
    assert (config.digest, config.immediate_severity, config.cadence) == (
        "0 8 * * 1",
        "critical",
        "weekly",
    )
    assert config.holds(make_event("new_inspection", HENLEY))
    assert config.holds(make_event("details_changed", HENLEY, severity="warning"))
    assert not config.holds(make_event("location_removed", HENLEY, severity="critical"))
    lower = sink(digest="0 8 * * *", immediate_min_severity="warning")
    assert not lower.holds(make_event("details_changed", HENLEY, severity="warning"))
    assert not sink().holds(make_event("new_inspection", HENLEY))  # no digest: all at once


@pytest.mark.parametrize(
    ("keys", "key", "words"),
    [
        ({"digest": "0 8 * * 8"}, "sinks[0].digest", "weekday '8' is outside 0-7"),
        ({"digest": "every monday"}, "sinks[0].digest", "must have 5 fields"),
        ({"digest": "61 8 * * 1"}, "sinks[0].digest", "61"),
        ({"digest": 8}, "sinks[0].digest", "string"),
        (
            {"digest": "0 8 * * 1", "immediate_min_severity": "urgent"},
            "sinks[0].immediate_min_severity",
            "'info', 'warning' or 'critical'",
        ),
        (
            {"immediate_min_severity": "warning"},
            "sinks[0].immediate_min_severity",
            "only means something with digest",
        ),
        (
            {"digest": "0 8 * * 1", "min_severity": "critical"},
            "sinks[0].immediate_min_severity",
            "nothing would wait for the digest",
        ),
        (
            {"digest": "0 8 * * 1", "immediate_min_severity": "info"},
            "sinks[0].immediate_min_severity",
            "nothing would wait for the digest",
        ),
    ],
)
def test_a_digest_mistake_names_its_key(keys: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        sink(**keys)
    assert caught.value.key == key
    assert words in caught.value.message


def test_the_webhook_part_size_is_bounded() -> None:
    hook = {
        "name": "hook",
        "type": "webhook",
        "url": "https://hooks.example.org/cqc",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "digest": "0 8 * * 1",
    }
    data: dict[str, Any] = {"sources": {"cqc_api": {"subscription_key": "k"}}, "sinks": [hook]}
    (config,) = sink_configs(settings_from_dict(data).sinks)
    assert config.model_dump()["digest_max_bytes"] == 256 * 1024
    data["sinks"] = [hook | {"digest_max_bytes": 100}]
    with pytest.raises(ConfigError) as caught:
        sink_configs(settings_from_dict(data).sinks)
    assert caught.value.key == "sinks[0].digest_max_bytes"
