"""Digests end to end with an injected clock (SPEC §6): a real database (SQLite, and
PostgreSQL when configured), a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import select

from monitor.services.retry import RetryPolicy
from monitor.store.status import read_status
from monitor.store.tables import Delivery, DeliveryAttempt
from tests.support import documents as docs
from tests.support.dashboard import client, serving
from tests.support.digests import (
    SECRET,
    WINDOW,
    World,
    deliveries,
    digest_rows,
    hook_sink,
    mail_sink,
)
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver, verify_signature


def test_a_critical_change_goes_at_once_and_info_events_wait_for_the_window(
    database_url: str,
) -> None:
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        world = World(database_url, [mail_sink(smtp), hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        critical = world.deregistration(app)
        held = world.new_reports(app, docs.HENLEY, docs.ALLIED)

        report = app.dispatcher().deliver_due()

        assert (report.sent, report.failed, report.dead) == (2, 0, 0)
        (alert,) = smtp.messages
        assert alert["Subject"] == "[CQC] CRITICAL Lucerne House: deregistered"
        (post,) = hook.wait_for(1)
        assert post.headers["webhook-id"] == critical
        assert [status for _, status, _ in deliveries(app, "hook")] == ["sent", "held", "held"]
        assert {when for _, status, when in deliveries(app) if status == "held"} == {WINDOW}
        with app.sessions() as session:
            status = read_status(session, world.clock.now())
        assert status["held"] == {
            "hook": {"deliveries": 2, "window": WINDOW},
            "mail": {"deliveries": 2, "window": WINDOW},
        }

        world.clock.moment = WINDOW - timedelta(seconds=1)
        assert app.dispatcher().deliver_due().sent == 0  # not yet
        world.clock.moment = WINDOW + timedelta(seconds=30)
        assert app.dispatcher().deliver_due().sent == 4  # two held alerts, two sinks

        digest_mail = smtp.messages[1]
        assert digest_mail["Subject"] == "[CQC] INFO Weekly digest: 2 changes at 2 locations"
        body = digest_mail.get_body(("plain",)).get_content()
        assert "Henley House (1-10000302982)" in body
        assert "Allied Healthcare Bournemouth (1-134558905)" in body
        assert "from Mon 23 Nov 2026 08:00 to Mon 30 Nov 2026 08:00 (Europe/London)" in body
        html = digest_mail.get_body(("html",)).get_content()
        assert "Henley House" in html and "Allied Healthcare Bournemouth" in html
        (request,) = hook.wait_for(2)[1:]
        assert verify_signature(SECRET, request.headers, request.body)
        payload = request.json()
        assert payload["type"] == "digest"
        assert payload["timestamp"] == "2026-11-30T08:00:00Z"
        data = payload["data"]
        assert (data["window_start"], data["window_end"]) == (
            "2026-11-23T08:00:00Z",
            "2026-11-30T08:00:00Z",
        )
        assert sorted(event["id"] for event in data["events"]) == sorted(held)
        hook_digest = next(row for row in digest_rows(app) if row.sink == "hook")
        assert request.headers["webhook-id"] == data["id"] == hook_digest.key
        assert {status for _, status, _ in deliveries(app)} == {"sent"}

        # Nothing is sent twice: not by the next round, not by the next window.
        assert app.dispatcher().deliver_due().sent == 0
        world.clock.advance(days=7)
        assert app.dispatcher().deliver_due().sent == 0
        assert len(smtp.messages) == 2 and len(hook.requests) == 2


def test_the_digest_groups_by_location_the_worst_first_with_each_report(
    database_url: str,
) -> None:
    with SmtpServer() as smtp:
        world = World(database_url, [mail_sink(smtp)])
        app = world.process()
        world.baseline(app)
        world.new_reports(app, docs.ALLIED)
        # A decline below Overall is a warning: it waits too, and leads the digest.
        world.cqc.documents[docs.LUCERNE] = docs.set_key_question(
            world.cqc.documents[docs.LUCERNE], "Safe", "Requires improvement"
        )
        (warning,) = app.review().run("full").events
        assert warning.severity == "warning"
        world.new_reports(app, docs.ALLIED)
        world.clock.moment = WINDOW
        app.dispatcher().deliver_due()

        (message,) = smtp.messages
        assert message["Subject"] == (
            "[CQC] WARNING Weekly digest: 3 changes at 2 locations (1 warning)"
        )
        body = message.get_body(("plain",)).get_content()
        index = body.index("Locations, the most severe first:")
        assert body.index("Lucerne House (1-125856395): 1 change, WARNING") > index
        assert body.index("Lucerne House (1-125856395) — WARNING") < body.index(
            "Allied Healthcare Bournemouth (1-134558905) — INFO"
        )
        assert body.count("Inspection report: https://www.cqc.org.uk/location/1-134558905") == 2
        assert "Safe: Good → Requires improvement" in body


def test_an_empty_window_sends_nothing(database_url: str) -> None:
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        world = World(database_url, [mail_sink(smtp), hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        world.clock.moment = WINDOW + timedelta(minutes=1)

        report = app.dispatcher().deliver_due()

        assert (report.sent, report.failed, report.dead) == (0, 0, 0)
        assert smtp.messages == [] and hook.requests == []
        assert digest_rows(app) == []


def test_a_digest_over_the_size_limit_goes_in_numbered_parts_with_stable_ids(
    database_url: str,
) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook, digest_max_bytes=4096)])
        app = world.process()
        world.baseline(app)
        held = []
        for _ in range(3):
            held += world.new_reports(app, docs.HENLEY, docs.LUCERNE, docs.ALLIED)
        hook.respond(200)
        hook.respond(503)  # the second part fails: the digest is retried whole
        world.clock.moment = WINDOW

        first = app.dispatcher().deliver_due()

        assert (first.sent, first.failed) == (0, 9)
        tried = hook.wait_for(2)
        (digest,) = digest_rows(app)
        assert digest.status == "failed" and digest.last_error.startswith("part 2 of ")
        parts = tried[0].json()["data"]["parts"]
        assert parts >= 2
        world.clock.advance(hours=1)
        assert app.dispatcher().deliver_due().sent == 9
        resent = hook.requests[2:]
        assert len(resent) == parts
        ids = [request.headers["webhook-id"] for request in resent]
        assert ids == [f"{digest.key}.{n}" for n in range(1, parts + 1)]
        assert [r.headers["webhook-id"] for r in tried] == ids[:2]
        assert [r.body for r in tried] == [r.body for r in resent[:2]]  # the same parts
        events = []
        for number, request in enumerate(resent, start=1):
            assert len(request.body) <= 4096
            assert verify_signature(SECRET, request.headers, request.body)
            data = request.json()["data"]
            assert (data["id"], data["part"], data["parts"]) == (digest.key, number, parts)
            events += [event["id"] for event in data["events"]]
        assert sorted(events) == sorted(held)


def _most_attempts(policy: RetryPolicy) -> int:
    """The most attempts a send can make before the horizon: every wait at its shortest (the
    least jitter halves the backoff), then the last try at the horizon itself. A fixed count
    ran out before the horizon when the jitter drawn was low, and a 200 ended the test."""
    horizon, elapsed, attempts = policy.horizon.total_seconds(), 0.0, 1
    while elapsed < horizon:
        wait = policy.next_attempt(WINDOW, attempts, None, jitter=0.5) - WINDOW
        elapsed += wait.total_seconds()
        attempts += 1
    return attempts + 1


def test_a_failing_digest_is_retried_whole_after_retry_after_then_dead_past_the_horizon(
    database_url: str,
) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        world.new_reports(app, docs.HENLEY, docs.ALLIED)
        hook.respond(429, headers={"Retry-After": "900"})
        world.clock.moment = WINDOW

        assert app.dispatcher().deliver_due().failed == 2
        (digest,) = digest_rows(app)
        assert digest.status == "failed"
        assert digest.next_attempt_at >= WINDOW + timedelta(seconds=900)
        assert {(status, when) for _, status, when in deliveries(app)} == {
            ("failed", digest.next_attempt_at)
        }
        world.clock.advance(minutes=10)
        assert app.dispatcher().deliver_due().failed == 0  # honours the receiver's wait

        for _ in range(_most_attempts(app.dispatcher().policy)):
            hook.respond(500)
        while digest_rows(app)[0].status == "failed":
            world.clock.moment = digest_rows(app)[0].next_attempt_at
            app.dispatcher().deliver_due()
        (dead,) = digest_rows(app)
        assert dead.status == "dead" and dead.last_error.startswith("HTTP 500")
        assert world.clock.now() >= WINDOW + timedelta(hours=24)  # the retry horizon
        assert {status for _, status, _ in deliveries(app)} == {"dead"}
        assert {r.headers["webhook-id"] for r in hook.requests} == {dead.key}
        with app.sessions() as session:
            attempts = session.scalars(
                select(DeliveryAttempt.outcome)
                .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
                .where(Delivery.digest_id == dead.id)
            ).all()
        assert len(attempts) == 2 * dead.attempts and attempts.count("dead") == 2


def test_two_replicas_reaching_the_window_send_one_digest(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        first, second = world.process("host-a:1"), world.process("host-b:2")
        world.baseline(first)
        world.new_reports(first, docs.HENLEY, docs.LUCERNE, docs.ALLIED)
        world.clock.moment = WINDOW + timedelta(seconds=5)
        start = threading.Barrier(2)
        sent: dict[str, int] = {}

        def deliver(app_name: str) -> None:
            app = first if app_name == "a" else second
            dispatcher = app.dispatcher()
            start.wait(timeout=30)
            sent[app_name] = dispatcher.deliver_due().sent

        threads = [threading.Thread(target=deliver, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(sent.values()) == [0, 3]
        (request,) = hook.wait_for(1)
        assert len(request.json()["data"]["events"]) == 3
        (digest,) = digest_rows(first)
        assert (
            digest.status == "sent" and digest.slot_key == "digest:hook:2026-11-30T08:00:00+00:00"
        )


def test_after_downtime_one_digest_covers_every_missed_window(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        held = world.new_reports(app, docs.HENLEY)
        world.clock.advance(days=7)  # past one window, no delivery ran
        held += world.new_reports(app, docs.LUCERNE)
        world.clock.moment = WINDOW + timedelta(days=21, hours=3)  # three more windows missed

        app.dispatcher().deliver_due()

        (request,) = hook.wait_for(1)
        data = request.json()["data"]
        assert sorted(event["id"] for event in data["events"]) == sorted(held)
        assert data["window_end"] == "2026-12-21T08:00:00Z"  # the latest window missed
        assert data["window_start"] == "2026-11-23T08:00:00Z"
        assert len(digest_rows(app)) == 1
        assert app.dispatcher().deliver_due().sent == 0


def test_held_deliveries_of_a_removed_sink_end_dead_and_a_sink_without_digest_sends_at_once(
    database_url: str,
) -> None:
    with WebhookReceiver() as hook, SmtpServer() as smtp:
        world = World(database_url, [hook_sink(hook), mail_sink(smtp)])
        app = world.process()
        world.baseline(app)
        world.new_reports(app, docs.HENLEY, docs.ALLIED)
        assert [status for _, status, _ in deliveries(app)] == ["held"] * 4

        # The webhook sink is removed, the email sink keeps no digest any more.
        mail = {key: value for key, value in mail_sink(smtp).items() if key != "digest"}
        restarted = world.process(sinks=[mail])
        assert restarted.dispatcher().deliver_due().sent == 2

        with restarted.sessions() as session:
            rows = session.execute(
                select(Delivery.sink, Delivery.status, Delivery.last_error).order_by(Delivery.id)
            ).all()
        assert {(row.sink, row.status, row.last_error) for row in rows} == {
            ("hook", "dead", "sink is no longer configured"),
            ("mail", "sent", None),
        }
        (message,) = smtp.messages
        assert message["Subject"] == "[CQC] INFO 2 changes at 2 locations"
        assert hook.requests == []


def test_a_410_ends_the_held_deliveries_dead_and_sinks_enable_holds_them_again(
    database_url: str,
) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        world.new_reports(app, docs.HENLEY, docs.ALLIED)
        world.deregistration(app)
        hook.respond(410, body=b"endpoint retired")

        app.dispatcher().deliver_due()  # the critical alert meets the 410

        with app.sessions() as session:
            rows = session.execute(select(Delivery.status, Delivery.last_error)).all()
        assert len(rows) == 3
        assert all(row.status == "dead" for row in rows)
        assert all(row.last_error.startswith("sink disabled: ") for row in rows)

        enabled = app.enable_sink("hook")
        assert enabled is not None and enabled.requeued == 3
        assert sorted((status, when) for _, status, when in deliveries(app)) == [
            ("held", WINDOW),
            ("held", WINDOW),
            ("pending", world.clock.now()),
        ]
        world.clock.moment = WINDOW
        assert app.dispatcher().deliver_due().sent == 3
        assert [r.json()["type"] for r in hook.wait_for(3)[1:]] == [
            "registration_changed",
            "digest",
        ]


def test_digest_send_sends_what_is_held_now_and_then_nothing(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        held = world.new_reports(app, docs.HENLEY, docs.ALLIED)
        world.clock.advance(hours=2)  # days before the window

        done = app.dispatcher().send_digests("hook")

        (result,) = done.results
        assert (result.status, result.events) == ("sent", 2)
        (request,) = hook.wait_for(1)
        data = request.json()["data"]
        assert sorted(event["id"] for event in data["events"]) == sorted(held)
        assert data["window_start"] == "2026-11-23T08:00:00Z"
        assert data["window_end"] == "2026-11-26T09:00:00Z"
        assert app.dispatcher().send_digests("hook").results == []
        world.clock.moment = WINDOW
        assert app.dispatcher().deliver_due().sent == 0
        assert len(hook.requests) == 1
        assert json.loads(request.body)["data"]["parts"] == 1


def test_the_dashboard_shows_held_deliveries_with_their_window(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        world.new_reports(app, docs.HENLEY, docs.ALLIED)
        with serving(database_url) as base:
            http = client()
            deliveries_page = http.get(base + "/deliveries", timeout=10).text
            queue = http.get(base + "/deliveries/hook/queue", timeout=10).text
            overview = http.get(base + "/", timeout=10).text
            location = http.get(base + f"/locations/{docs.HENLEY}", timeout=10).text
    held = "<dt>Held for digest</dt><dd>2, sent at the next window: 2026-11-30 08:00</dd>"
    assert held in deliveries_page
    for page in (deliveries_page, queue):
        assert page.count('<span class="status held">held for digest</span>') == 2
    assert 'data-label="Held for digest">2</td>' in overview
    assert "held</span> for the digest at 2026-11-30 08:00" in location
