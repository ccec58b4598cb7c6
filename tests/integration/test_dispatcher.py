"""Delivering the outbox: real database, real SMTP server, real webhook receiver."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.sinks.base import Alert, SendOutcome
from monitor.store.tables import Delivery, DeliveryAttempt
from tests.fakes import FakeClock, FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.smtp import SmtpServer, unused_port
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def make_app(
    database_url: str,
    sinks: list[dict[str, Any]],
    clock: FakeClock,
    fakes: dict[str, RecordingSink] | None = None,
) -> tuple[App, FakeCqc]:
    cqc = FakeCqc(docs.all_real())
    settings = settings_for(database_url, watch={"locations": list(cqc.documents)}, sinks=sinks)
    app = app_for(settings, api=cqc, clock=clock, **({"sinks": fakes} if fakes else {}))
    return app, cqc


def webhook(hook: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    """A signed webhook sink aimed at the test receiver."""
    return {"name": "hook", "type": "webhook", "url": hook.url, "secret": SECRET, **extra}


def make_changes(app: App, cqc: FakeCqc) -> None:
    """A baseline, then a downgrade at Henley House and a deregistration at Lucerne House."""
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.set_key_question(
        docs.real(docs.HENLEY), "Overall", "Requires improvement"
    )
    cqc.documents[docs.LUCERNE] = docs.deregister(docs.real(docs.LUCERNE), "2026-11-28")
    assert len(app.review().run("full").events) == 2


def statuses(app: App) -> dict[str, list[str]]:
    with app.sessions() as session:
        rows = session.execute(select(Delivery.sink, Delivery.status).order_by(Delivery.id)).all()
    found: dict[str, list[str]] = {}
    for sink, status in rows:
        found.setdefault(sink, []).append(status)
    return found


def test_grouped_email_and_signed_webhooks_arrive(database_url: str) -> None:
    clock = FakeClock()
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        sinks = [
            {
                "name": "mail",
                "type": "email",
                "host": smtp.host,
                "port": smtp.port,
                "security": "none",
                "from": "cqc-monitor@example.org",
                "to": ["ops@example.org"],
            },
            webhook(hook),
        ]
        app, cqc = make_app(database_url, sinks, clock)
        make_changes(app, cqc)
        report = app.dispatcher().deliver_due()

        assert (report.sent, report.failed, report.dead) == (4, 0, 0)
        (message,) = smtp.messages  # two events, one grouped message
        assert message["Subject"] == "[CQC] CRITICAL 2 changes at 2 locations (2 critical)"
        requests = hook.wait_for(2)
        assert len(requests) == 2
        for request in requests:
            assert verify_signature(SECRET, request.headers, request.body)
        assert {r.json()["type"] for r in requests} == {"rating_changed", "registration_changed"}
        assert statuses(app) == {"mail": ["sent", "sent"], "hook": ["sent", "sent"]}

        # Repeated runs deliver nothing twice.
        assert app.dispatcher().deliver_due().sent == 0
        app.review().run("full")
        assert app.dispatcher().deliver_due().sent == 0
        assert len(smtp.messages) == 1 and len(hook.requests) == 2


def test_smtp_down_then_up_loses_nothing(database_url: str) -> None:
    clock = FakeClock()
    port = unused_port()
    sinks = [
        {
            "name": "mail",
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "m@example.org",
            "to": ["ops@example.org"],
            "timeout_seconds": 2,
        }
    ]
    app, cqc = make_app(database_url, sinks, clock)
    make_changes(app, cqc)

    first = app.dispatcher().deliver_due()
    assert (first.sent, first.failed) == (0, 2)
    assert statuses(app) == {"mail": ["failed", "failed"]}
    assert app.dispatcher().deliver_due().failed == 0  # not due yet: backoff

    with SmtpServer(port=port) as smtp:  # the server comes back on the configured port
        clock.advance(hours=1)
        assert app.dispatcher().deliver_due().sent == 2
        assert len(smtp.messages) == 1
    assert statuses(app) == {"mail": ["sent", "sent"]}
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 4


def test_webhook_500_then_200_is_one_success_with_a_stable_id(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(500)
        app, cqc = make_app(database_url, [webhook(hook, events=["rating_changed"])], clock)
        make_changes(app, cqc)

        assert app.dispatcher().deliver_due().failed == 1
        clock.advance(hours=1)
        assert app.dispatcher().deliver_due().sent == 1
        first, second = hook.wait_for(2)
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert app.dispatcher().deliver_due().sent == 0
        assert len(hook.requests) == 2


def test_retry_after_is_respected(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(429, headers={"Retry-After": "7200"})
        app, cqc = make_app(database_url, [webhook(hook, events=["rating_changed"])], clock)
        make_changes(app, cqc)
        assert app.dispatcher().deliver_due().failed == 1
        with app.sessions() as session:
            due = session.scalar(select(Delivery.next_attempt_at))
        assert due is not None and due >= clock.now() + timedelta(seconds=7200)

        clock.advance(seconds=3600)  # the usual backoff has passed, the receiver's wait has not
        assert app.dispatcher().deliver_due().sent == 0
        clock.advance(seconds=3601)
        assert app.dispatcher().deliver_due().sent == 1


def test_410_gone_kills_the_sink_deliveries(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(410)
        app, cqc = make_app(
            database_url,
            [webhook(hook)],
            clock,
        )
        make_changes(app, cqc)
        report = app.dispatcher().deliver_due()
        assert report.dead >= 1
        assert statuses(app) == {"hook": ["dead", "dead"]}
        assert len(hook.requests) == 1  # nothing more was sent to a gone endpoint


def test_hanging_receiver_is_cut_off_while_the_other_sink_delivers(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as slow, SmtpServer() as smtp:
        slow.respond(200, delay=30)
        slow.respond(200, delay=30)
        sinks = [
            {
                "name": "slow",
                "type": "webhook",
                "url": slow.url,
                "secret": SECRET,
                "timeout_seconds": 0.5,
            },
            {
                "name": "mail",
                "type": "email",
                "host": smtp.host,
                "port": smtp.port,
                "security": "none",
                "from": "m@example.org",
                "to": ["ops@example.org"],
            },
        ]
        app, cqc = make_app(database_url, sinks, clock)
        make_changes(app, cqc)
        report = app.dispatcher().deliver_due()

        assert report.by_sink["mail"] == {"sent": 2}
        assert report.by_sink["slow"] == {"failed": 2}
        assert len(smtp.messages) == 1


def test_a_dribbling_receiver_fails_at_the_deadline_while_the_other_sink_delivers(
    database_url: str,
) -> None:
    clock = FakeClock()
    with WebhookReceiver() as slow, SmtpServer() as smtp:
        slow.respond(200, dribble=0.05)
        slow.respond(200, dribble=0.05)
        sinks = [
            webhook(slow, name="slow", timeout_seconds=5, deadline_seconds=0.5),
            {
                "name": "mail",
                "type": "email",
                "host": smtp.host,
                "port": smtp.port,
                "security": "none",
                "from": "m@example.org",
                "to": ["ops@example.org"],
            },
        ]
        app, cqc = make_app(database_url, sinks, clock)
        make_changes(app, cqc)
        report = app.dispatcher().deliver_due()

        assert report.by_sink["mail"] == {"sent": 2}
        assert report.by_sink["slow"] == {"failed": 2}
        assert len(smtp.messages) == 1
    with app.sessions() as session:
        errors = session.scalars(
            select(DeliveryAttempt.error)
            .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
            .where(Delivery.sink == "slow")
        ).all()
    assert errors == ["no complete answer within the 0.5s deadline"] * 2


def test_permanent_failure_is_dead_and_horizon_ends_retries(database_url: str) -> None:
    clock = FakeClock()
    sinks = [{"name": "a", "type": "console"}, {"name": "b", "type": "console"}]
    fakes = {"a": RecordingSink("a", ["dead"]), "b": RecordingSink("b", ["fail"] * 50)}
    app, cqc = make_app(database_url, sinks, clock, fakes=fakes)
    make_changes(app, cqc)

    app.dispatcher().deliver_due()
    assert statuses(app)["a"] == ["dead", "dead"]
    for _ in range(30):
        clock.advance(hours=2)
        app.dispatcher().deliver_due()
    assert statuses(app)["b"] == ["dead", "dead"]  # gave up after the 24 h horizon
    with app.sessions() as session:
        error = session.scalar(select(Delivery.last_error).where(Delivery.sink == "b"))
    assert error == "scripted fail"


def test_deliveries_for_a_sink_removed_from_the_config_are_dead_with_a_reason(
    database_url: str,
) -> None:
    clock = FakeClock()
    sinks = [{"name": "old", "type": "console"}]
    app, cqc = make_app(database_url, sinks, clock, fakes={"old": RecordingSink("old")})
    make_changes(app, cqc)
    app.close()

    sinks = [{"name": "new", "type": "console"}]
    app, _ = make_app(database_url, sinks, clock, fakes={"new": RecordingSink("new")})
    report = app.dispatcher().deliver_due()
    assert (report.sent, report.dead) == (0, 0)
    with app.sessions() as session:
        rows = session.execute(select(Delivery.status, Delivery.last_error)).all()
    assert rows == [("dead", "sink is no longer configured")] * 2


def test_after_410_the_sink_gets_nothing_more(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(410)
        sinks = [webhook(hook)]
        app, cqc = make_app(database_url, sinks, clock)
        make_changes(app, cqc)
        dispatcher = app.dispatcher()
        dispatcher.deliver_due()

        cqc.documents[docs.ALLIED] = docs.variant(docs.real(docs.ALLIED))
        cqc.documents[docs.ALLIED]["name"] = "Allied Healthcare Poole"
        assert len(app.review().run("full").events) == 1
        report = dispatcher.deliver_due()
        assert report.dead == 1
        assert len(hook.requests) == 1


def delivery_rows(app: App) -> list[tuple[str, int, Any, Any]]:
    with app.sessions() as session:
        rows = session.execute(
            select(
                Delivery.status, Delivery.attempts, Delivery.created_at, Delivery.next_attempt_at
            ).order_by(Delivery.id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    "retry_after",
    ["999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"],
    ids=["huge-seconds", "infinite-seconds", "far-date"],
)
def test_a_retry_after_beyond_the_horizon_is_one_last_try_at_the_horizon(
    database_url: str, retry_after: str
) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(429, headers={"Retry-After": retry_after})
        app, cqc = make_app(database_url, [webhook(hook, events=["rating_changed"])], clock)
        make_changes(app, cqc)

        assert app.dispatcher().deliver_due().failed == 1
        [(status, attempts, created_at, due)] = delivery_rows(app)
        assert (status, attempts) == ("failed", 1)
        assert due == created_at + timedelta(hours=24)  # the retry horizon

        clock.moment = due
        assert app.dispatcher().deliver_due().sent == 1
        assert len(hook.wait_for(2)) == 2


def test_a_second_refusal_at_the_horizon_is_dead(database_url: str) -> None:
    clock = FakeClock()
    with WebhookReceiver() as hook:
        hook.respond(429, headers={"Retry-After": "999999999999"})
        hook.respond(429, headers={"Retry-After": "999999999999"})
        app, cqc = make_app(database_url, [webhook(hook, events=["rating_changed"])], clock)
        make_changes(app, cqc)
        app.dispatcher().deliver_due()
        clock.advance(hours=24)

        assert app.dispatcher().deliver_due().dead == 1
        assert statuses(app) == {"hook": ["dead"]}


class NonsenseSink(RecordingSink):
    """A sink that breaks its own contract: a Retry-After that is not a number."""

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        self.batches.append(list(alerts))
        bad: Any = "tomorrow"
        return [SendOutcome(a.delivery_id, ok=False, error="busy", retry_after=bad) for a in alerts]


def test_an_unexpected_error_over_one_send_is_a_recorded_failed_attempt(
    database_url: str,
) -> None:
    clock = FakeClock()
    sinks = [{"name": "odd", "type": "console"}, {"name": "fine", "type": "console"}]
    fakes = {"odd": NonsenseSink("odd"), "fine": RecordingSink("fine")}
    app, cqc = make_app(database_url, sinks, clock, fakes=fakes)
    make_changes(app, cqc)

    report = app.dispatcher().deliver_due()

    assert report.by_sink["odd"] == {"failed": 2} and report.by_sink["fine"] == {"sent": 2}
    with app.sessions() as session:
        attempts = session.execute(
            select(DeliveryAttempt.outcome, DeliveryAttempt.error)
            .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
            .where(Delivery.sink == "odd")
        ).all()
    assert [outcome for outcome, _ in attempts] == ["failed", "failed"]
    assert all("busy" in (error or "") for _, error in attempts)
    assert [row[:2] for row in delivery_rows(app)].count(("failed", 1)) == 2
