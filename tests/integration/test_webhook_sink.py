"""The webhook sink against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.errors import ConfigError
from monitor.net.retry_after import DEFAULT_LIMIT
from monitor.sinks.registry import build_sink
from monitor.sinks.webhook import WebhookSink
from tests.support.events import alerts, deregistered_event, inspection_event, rating_event
from tests.support.smtp import unused_port
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

SECRET = "whsec_" + base64.b64encode(b"a 24-byte shared secret!").decode()


def webhook_sink(url: str, **overrides: Any) -> WebhookSink:
    section = {
        "name": "ops-webhook",
        "type": "webhook",
        "url": url,
        "secret": SECRET,
        "timeout_seconds": 5,
        **overrides,
    }
    sink = build_sink(section)
    assert isinstance(sink, WebhookSink)
    return sink


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_each_alert_is_posted_signed_and_verifiable(receiver: WebhookReceiver) -> None:
    events = [rating_event(), deregistered_event()]
    sink = webhook_sink(receiver.url, headers={"Authorization": "Bearer team-token"})

    outcomes = sink.send(alerts(*events))

    assert [(o.delivery_id, o.ok) for o in outcomes] == [(101, True), (102, True)]
    assert len(receiver.requests) == 2
    for request, event in zip(receiver.requests, events, strict=True):
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"].startswith("cqc-monitor")
        assert request.headers["authorization"] == "Bearer team-token"
        assert request.headers["webhook-id"] == event.id
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
        assert verify_signature(SECRET, request.headers, request.body)
        assert request.json() == {
            "type": event.type,
            "timestamp": event.detected_at,
            "data": event.to_dict(),
        }


def test_a_tampered_body_fails_verification(receiver: WebhookReceiver) -> None:
    webhook_sink(receiver.url).send(alerts(rating_event()))
    [request] = receiver.requests

    tampered = request.body.replace(b"Requires improvement", b"Outstanding")
    assert tampered != request.body
    assert verify_signature(SECRET, request.headers, request.body)
    assert not verify_signature(SECRET, request.headers, tampered)
    other_secret = "whsec_" + base64.b64encode(b"another secret entirely!").decode()
    assert not verify_signature(other_secret, request.headers, request.body)


def test_body_is_compact_utf8(receiver: WebhookReceiver) -> None:
    event = rating_event(("1-1", "Ty Gwyn – Cartref", None))
    webhook_sink(receiver.url).send(alerts(event))
    body = receiver.requests[0].body
    assert "Ty Gwyn – Cartref".encode() in body  # UTF-8, not \u2013 escapes
    assert b'": ' not in body and b'", "' not in body  # no padding between tokens


def test_server_error_is_transient_and_the_retry_keeps_the_id(receiver: WebhookReceiver) -> None:
    receiver.respond(500, body=b"<html>upstream exploded</html>")
    sink = webhook_sink(receiver.url)
    batch = alerts(rating_event())

    [failed] = sink.send(batch)
    [retried] = sink.send(batch)

    assert not failed.ok and not failed.permanent and failed.retry_after is None
    assert "HTTP 500" in str(failed.error) and "upstream exploded" in str(failed.error)
    assert retried.ok
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == batch[0].event.id


def test_rate_limit_passes_retry_after_on(receiver: WebhookReceiver) -> None:
    receiver.respond(429, headers={"Retry-After": "7"})
    [outcome] = webhook_sink(receiver.url).send(alerts(rating_event()))
    assert not outcome.ok and not outcome.permanent
    assert outcome.retry_after == 7


def test_gone_endpoint_is_permanent_and_disables_the_sink(receiver: WebhookReceiver) -> None:
    receiver.respond(410)
    [outcome] = webhook_sink(receiver.url).send(alerts(rating_event()))
    assert not outcome.ok and outcome.permanent and outcome.disable_sink


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_client_errors_are_permanent(receiver: WebhookReceiver, status: int) -> None:
    receiver.respond(status)
    [outcome] = webhook_sink(receiver.url).send(alerts(rating_event()))
    assert not outcome.ok and outcome.permanent and not outcome.disable_sink
    assert f"HTTP {status}" in str(outcome.error)


def test_redirects_are_not_followed(receiver: WebhookReceiver) -> None:
    receiver.respond(307, headers={"Location": receiver.url + "/elsewhere"})
    [outcome] = webhook_sink(receiver.url).send(alerts(rating_event()))
    assert not outcome.ok
    assert "redirect" in str(outcome.error)
    assert len(receiver.requests) == 1


def test_a_hanging_receiver_is_cut_off_by_the_timeout(receiver: WebhookReceiver) -> None:
    receiver.respond(200, delay=10)
    started = time.monotonic()
    [outcome] = webhook_sink(receiver.url, timeout_seconds=0.5).send(alerts(rating_event()))
    assert time.monotonic() - started < 3
    assert not outcome.ok and not outcome.permanent
    assert "timed out" in str(outcome.error)


@pytest.mark.parametrize(
    "deadline", [0.5, 1.5], ids=["cut-in-the-status-line", "cut-in-the-headers"]
)
def test_a_receiver_that_dribbles_its_answer_is_cut_off_at_the_deadline(
    receiver: WebhookReceiver, deadline: float
) -> None:
    receiver.respond(200, dribble=0.05)  # every byte in good time for the 5 s read timeout
    sink = webhook_sink(receiver.url, deadline_seconds=deadline)
    [outcome, second] = sink.send(alerts(rating_event(), inspection_event()))
    assert not outcome.ok and not outcome.permanent
    assert outcome.error == f"no complete answer within the {deadline:g}s deadline"
    assert second.ok  # the next alert of the batch goes out as usual
    assert len(receiver.requests) == 2


def test_connection_refused_is_transient() -> None:
    url = f"http://127.0.0.1:{unused_port()}/hook"
    with capture_logs() as logs:
        outcomes = webhook_sink(url).send(alerts(rating_event(), inspection_event()))
    assert [(o.ok, o.permanent) for o in outcomes] == [(False, False), (False, False)]
    assert [entry["event"] for entry in logs] == ["webhook.failed", "webhook.failed"]


def test_one_failure_does_not_stop_the_rest_of_the_batch(receiver: WebhookReceiver) -> None:
    receiver.respond(503, headers={"Retry-After": "120"})
    outcomes = webhook_sink(receiver.url).send(alerts(rating_event(), inspection_event()))
    assert [(o.delivery_id, o.ok, o.retry_after) for o in outcomes] == [
        (101, False, 120),
        (102, True, None),
    ]


def test_an_absurd_retry_after_is_passed_on_clamped(receiver: WebhookReceiver) -> None:
    receiver.respond(429, headers={"Retry-After": "999999999999"})
    [outcome] = webhook_sink(receiver.url).send(alerts(rating_event()))
    assert (outcome.ok, outcome.retry_after) == (False, DEFAULT_LIMIT)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"secret": "not-prefixed-c2VjcmV0"}, "secret"),
        ({"secret": "whsec_not*base64!"}, "secret"),
        ({"secret": "whsec_"}, "secret"),
        ({"url": "ftp://hooks.example.org/cqc"}, "url"),
        ({"headers": {"webhook-signature": "v1,forged"}}, "headers"),
        ({"retries": 3}, "retries"),
        ({"deadline_seconds": 0}, "deadline_seconds"),
    ],
    ids=[
        "no-prefix",
        "not-base64",
        "empty",
        "not-http",
        "reserved-header",
        "unknown-key",
        "no-deadline",
    ],
)
def test_config_errors_name_the_key(override: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        webhook_sink(**{"url": "https://hooks.example.org/cqc", **override})
    assert caught.value.key == key
    secret = override.get("secret")
    if secret and len(secret) > len("whsec_"):
        assert secret not in str(caught.value)


def test_secret_is_masked_in_the_config() -> None:
    sink = webhook_sink("https://hooks.example.org/cqc")
    assert SECRET not in repr(sink.config)
    assert SECRET not in json.dumps(sink.config.model_dump(mode="json"))
