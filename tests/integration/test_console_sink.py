"""The console sink prints one readable block per alert."""

from __future__ import annotations

import io

import pytest

from monitor.sinks.console import ConsoleConfig, ConsoleSink
from monitor.sinks.registry import build_sink, sample_event
from tests.support.events import alerts, deregistered_event, rating_event


def test_prints_one_block_per_alert_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    sink = build_sink({"name": "screen", "type": "console"})
    outcomes = sink.send(alerts(rating_event(), deregistered_event()))

    assert [(o.delivery_id, o.ok) for o in outcomes] == [(101, True), (102, True)]
    printed = capsys.readouterr().out
    blocks = [block for block in printed.split("\n\n") if block.strip()]
    assert len(blocks) == 2
    assert "Henley House (1-10000302982) — CRITICAL" in blocks[0]
    assert "  Overall: Good → Requires improvement" in blocks[0]
    assert "Registration: Registered → Deregistered" in blocks[1]
    assert "https://www.cqc.org.uk/location/1-134558905" in blocks[1]


def test_writes_to_an_injected_stream() -> None:
    stream = io.StringIO()
    event = sample_event()
    ConsoleSink(ConsoleConfig(name="screen"), stream=stream).send(alerts(event))
    written = stream.getvalue()
    assert f"Event id: {event.id}" in written
    assert "Safe: Good → Requires improvement" in written


def test_a_closed_stream_is_a_failure_not_a_crash() -> None:
    stream = io.StringIO()
    stream.close()
    [outcome] = ConsoleSink(ConsoleConfig(name="screen"), stream=stream).send(
        alerts(rating_event())
    )
    assert not outcome.ok and not outcome.permanent and outcome.error
