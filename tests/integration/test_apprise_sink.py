"""The Apprise sink, through apprise's own JSON notifier, to a real receiver on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from monitor.errors import ConfigError
from monitor.sinks.apprise_sink import AppriseSink
from monitor.sinks.registry import build_sink
from tests.support.events import alerts, deregistered_event, inspection_event, rating_event
from tests.support.webhook_receiver import WebhookReceiver

# apprise loads its plugins on first use; one of them imports the deprecated imghdr module.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def apprise_sink(*urls: str, **overrides: Any) -> AppriseSink:
    section = {"name": "chat", "type": "apprise", "urls": list(urls), **overrides}
    sink = build_sink(section)
    assert isinstance(sink, AppriseSink)
    return sink


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def json_url(receiver: WebhookReceiver) -> str:
    return receiver.url.replace("http://", "json://", 1)


def test_a_batch_becomes_one_notification(receiver: WebhookReceiver) -> None:
    batch = alerts(rating_event(), inspection_event(), deregistered_event())
    outcomes = apprise_sink(json_url(receiver)).send(batch)

    assert [(o.delivery_id, o.ok) for o in outcomes] == [(101, True), (102, True), (103, True)]
    [request] = receiver.requests
    assert request.path == "/hook"
    posted = request.json()
    assert posted["title"] == "[CQC] CRITICAL 3 changes at 3 locations (2 critical)"
    assert posted["type"] == "failure"  # the worst severity in the batch is critical
    assert "Overall: Good → Requires improvement" in posted["message"]
    assert "Allied Healthcare Bournemouth" in posted["message"]


def test_one_event_uses_the_email_style_title(receiver: WebhookReceiver) -> None:
    apprise_sink(json_url(receiver)).send(alerts(inspection_event()))
    posted = receiver.requests[0].json()
    assert posted["title"] == "[CQC] INFO Lucerne House: new inspection report published"
    assert posted["type"] == "info"


def test_a_refusing_service_is_a_transient_failure(receiver: WebhookReceiver) -> None:
    receiver.respond(500)
    outcomes = apprise_sink(json_url(receiver)).send(alerts(rating_event(), inspection_event()))
    assert [(o.ok, o.permanent) for o in outcomes] == [(False, False), (False, False)]
    assert all(o.error for o in outcomes)


def test_unknown_url_is_a_config_error_that_hides_the_url() -> None:
    with pytest.raises(ConfigError) as caught:
        apprise_sink("nosuchservice://token-abc123@example")
    assert caught.value.key == "urls[0]"
    assert "token-abc123" not in str(caught.value)


def test_urls_are_required() -> None:
    with pytest.raises(ConfigError) as caught:
        apprise_sink()
    assert caught.value.key == "urls"


def test_urls_are_masked_in_the_config(receiver: WebhookReceiver) -> None:
    sink = apprise_sink(json_url(receiver))
    assert str(receiver.url.split("//")[1]) not in repr(sink.config)


def test_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # makes `import apprise` fail
    with pytest.raises(ConfigError) as caught:
        apprise_sink("json://127.0.0.1:9/")
    assert "cqc-monitor[apprise]" in str(caught.value)


def test_a_retry_after_one_service_failed_goes_only_to_that_service() -> None:
    with WebhookReceiver() as slack, WebhookReceiver() as teams:
        teams.respond(500)
        sink = apprise_sink(json_url(slack), json_url(teams))
        batch = alerts(rating_event(), inspection_event())

        first = sink.send(batch)
        assert [o.ok for o in first] == [False, False]
        assert "urls[1]" in str(first[0].error)
        assert (len(slack.requests), len(teams.requests)) == (1, 1)

        retried = sink.send(batch)
        assert [o.ok for o in retried] == [True, True]
        assert (len(slack.requests), len(teams.requests)) == (1, 2)  # no duplicate in Slack


def test_a_service_that_dribbles_is_cut_off_at_the_deadline_and_not_sent_to_twice(
    receiver: WebhookReceiver,
) -> None:
    receiver.respond(200, dribble=0.05)
    sink = apprise_sink(json_url(receiver), timeout_seconds=5, deadline_seconds=0.5)

    [first] = sink.send(alerts(rating_event()))
    assert not first.ok
    assert first.error == "urls[0]: no complete answer within the 0.5s deadline"

    # The stalled notification still holds its thread: no second one is piled on top.
    [second] = sink.send(alerts(rating_event()))
    assert not second.ok and "previous notification has not finished" in str(second.error)
    assert len(receiver.requests) == 1
