"""The fault matrix: every fault of the reliability work against the simulated CQC API and real
loopback receivers (a webhook server and an SMTP server), so each stays handled.

API faults hit Henley House while Lucerne House and Allied Healthcare answer normally: the
cycle must end, store the healthy locations, and treat Henley as the fault deserves (retried
and read, or an error for it alone). Sink faults hit the webhook while email keeps working:
the alert reaches the healthy sink at once, and the faulty sink's delivery is recorded and
retried with the same id, never lost and never sent twice.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.domain.events import Event
from monitor.errors import SourceError
from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import Delivery, DeliveryAttempt, FeedWatermark, Location
from tests.fakes import FakeClock
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
# A rating republished in Henley House's existing report: one event, one webhook request.
SAME_REPORT = "2022-04-20"


@dataclass
class World:
    sim: SimulatedCqc
    hook: WebhookReceiver
    smtp: SmtpServer
    clock: FakeClock
    app: App


def henley_body(value: str, field: str) -> bytes:
    doc = docs.real(docs.HENLEY)
    doc[field] = "__SWAP__"
    return json.dumps(doc).replace('"__SWAP__"', value).encode()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    clock = FakeClock(START)
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()), clock=clock.now)
    with sim.serve() as api, WebhookReceiver() as hook:
        smtp = SmtpServer().start()
        try:
            settings = settings_for(
                database_url,
                sources={
                    "cqc_api": {
                        "base_url": api.base_url,
                        "subscription_key": "sim-key",
                        "requests_per_second": 0,
                        "timeout_seconds": 1,
                        "deadline_seconds": 2,
                        "max_attempts": 2,
                        "max_response_bytes": 1024 * 1024,
                    }
                },
                watch={"locations": WATCHED},
                sinks=[
                    {
                        "name": "hook",
                        "type": "webhook",
                        "url": hook.url,
                        "secret": SECRET,
                        "timeout_seconds": 1,
                        "deadline_seconds": 2,
                    },
                    {
                        "name": "mail",
                        "type": "email",
                        "host": smtp.host,
                        "port": smtp.port,
                        "security": "none",
                        "from": "monitor@example.org",
                        "to": ["ops@example.org"],
                    },
                ],
            )
            yield World(sim, hook, smtp, clock, app_for(settings, clock=clock))
        finally:
            with contextlib.suppress(AssertionError):  # a test may have stopped it already
                smtp.stop()


# -- API faults -----------------------------------------------------------------------------

ApiFault = Callable[[SimulatedCqc], None]
API_FAULTS: dict[str, tuple[ApiFault, str]] = {
    # name: (injection, what becomes of Henley House: "read" or "error")
    "truncated-json": (lambda s: s.faults.malformed(docs.HENLEY), "error"),
    "500-once": (lambda s: s.faults.status(500, location_id=docs.HENLEY), "read"),
    "429-retry-after": (
        lambda s: s.faults.status(429, location_id=docs.HENLEY, retry_after=1),
        "read",
    ),
    "503-always": (lambda s: s.faults.status(503, times=None, location_id=docs.HENLEY), "error"),
    "hang-past-timeout": (
        lambda s: s.faults.hang(3, times=None, location_id=docs.HENLEY),
        "error",
    ),
    "dribble-past-deadline": (
        lambda s: s.faults.dribble(0.5, times=None, location_id=docs.HENLEY),
        "error",
    ),
    "404-once-then-found": (lambda s: s.faults.not_found(docs.HENLEY, times=1), "read"),
    "body-over-the-cap": (
        lambda s: s.serve_raw(docs.HENLEY, henley_body(json.dumps("x" * 2_000_000), "extra")),
        "error",
    ),
    "beds-overflow": (
        lambda s: s.serve_raw(docs.HENLEY, henley_body("1e400", "numberOfBeds")),
        "error",
    ),
    "name-unpaired-surrogate": (
        lambda s: s.serve_raw(docs.HENLEY, henley_body('"\\ud800"', "name")),
        "error",
    ),
    "nested-500-deep": (
        lambda s: s.serve_raw(docs.HENLEY, henley_body("[" * 500 + "]" * 500, "specialisms")),
        "error",
    ),
    "name-is-an-object": (
        lambda s: s.serve_raw(docs.HENLEY, henley_body('{"a": 1}', "name")),
        "error",
    ),
}


@pytest.mark.parametrize("fault", list(API_FAULTS), ids=str)
def test_an_api_fault_at_one_location_is_handled_at_that_location(world: World, fault: str) -> None:
    inject, expected = API_FAULTS[fault]
    inject(world.sim)

    report = world.app.review().run("full")

    assert report.locations == 3
    assert report.baselines == (3 if expected == "read" else 2)
    assert report.errors == (0 if expected == "read" else 1)
    assert report.events == []  # a fault is never a change
    with world.app.sessions() as session:
        henley = session.get(Location, docs.HENLEY)
        stored = set(session.scalars(select(Location.id).where(Location.last_hash.is_not(None))))
    assert henley is not None
    assert {docs.LUCERNE, docs.ALLIED} <= stored
    if expected == "error":
        assert henley.consecutive_failures == 1 and henley.last_error
        assert henley.status == "active"  # a fault is not a removal


def test_a_change_feed_that_pages_for_ever_fails_the_cycle_and_keeps_the_watermark(
    world: World,
) -> None:
    world.app.review().run("full")
    watermark = _watermark(world)
    world.sim.faults.endless_paging(path_prefix="/changes")
    world.clock.advance(days=1)

    with pytest.raises(SourceError):
        world.app.review().run("incremental")
    assert _watermark(world) == watermark


def _watermark(world: World) -> datetime:
    with world.app.sessions() as session:
        value = session.scalar(select(FeedWatermark.value))
    assert value is not None
    return value


# -- sink faults ----------------------------------------------------------------------------

SINK_FAULTS: dict[str, tuple[Callable[[WebhookReceiver], None], str]] = {
    # name: (injection, the webhook delivery's state after the first round)
    "500-then-200": (lambda h: h.respond(500), "failed"),
    "429-absurd-retry-after": (
        lambda h: h.respond(429, headers={"Retry-After": "999999999999"}),
        "failed",
    ),
    "410-gone": (lambda h: h.respond(410), "dead"),
    "dribbling-answer": (lambda h: h.respond(200, dribble=0.5), "failed"),
    "hanging-answer": (lambda h: h.respond(200, delay=5), "failed"),
}


@pytest.mark.parametrize("fault", list(SINK_FAULTS), ids=str)
def test_a_failing_webhook_never_holds_up_email_and_loses_nothing(world: World, fault: str) -> None:
    inject, state = SINK_FAULTS[fault]
    world.app.review().run("full")
    world.clock.advance(hours=3)
    world.sim.set_rating(docs.HENLEY, "Safe", "Inadequate", report_date=SAME_REPORT)
    world.clock.advance(days=1)
    inject(world.hook)

    event = _rating_event(world)
    world.app.dispatcher().deliver_due()

    # Email is delivered in the same round, whatever the webhook does.
    (message,) = world.smtp.messages
    assert "Henley House: Safe Good → Inadequate" in str(message["Subject"])
    hook = _delivery(world, "hook", event)
    assert hook.status == state and hook.last_error and hook.attempts == 1
    if state == "dead":
        return
    # Retried when due (Retry-After beyond the retry horizon means "at the horizon"), with
    # the same id, and then sent once.
    assert hook.next_attempt_at is not None
    assert hook.next_attempt_at <= world.clock.now() + timedelta(hours=24)
    world.clock.moment = hook.next_attempt_at + timedelta(seconds=1)
    world.app.dispatcher().deliver_due()
    assert _delivery(world, "hook", event).status == "sent"
    ids = [r.headers["webhook-id"] for r in world.hook.requests]
    assert ids.count(event.id) == 2  # the failed try and the retry: one id
    assert len(world.smtp.messages) == 1  # email was not sent again
    with world.app.sessions() as session:
        attempts = session.scalars(
            select(DeliveryAttempt.outcome)
            .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
            .where(Delivery.event_id == event.id)
        ).all()
    assert sorted(attempts) == ["failed", "sent", "sent"]


def test_an_smtp_server_that_is_down_never_holds_up_the_webhook(world: World) -> None:
    world.app.review().run("full")
    world.smtp.stop()
    world.sim.set_rating(docs.HENLEY, "Safe", "Inadequate", report_date=SAME_REPORT)
    world.clock.advance(days=1)

    event = _rating_event(world)
    world.app.dispatcher().deliver_due()

    (request,) = world.hook.requests
    assert request.headers["webhook-id"] == event.id
    mail = _delivery(world, "mail", event)
    assert mail.status == "failed" and mail.last_error


def _rating_event(world: World) -> Event:
    """The poll after the downgrade: its one event."""
    (event,) = world.app.review().run("incremental").events
    assert event.type == "rating_changed"
    return event


def _delivery(world: World, sink: str, event: Event) -> Delivery:
    with world.app.sessions() as session:
        query = select(Delivery).where(Delivery.sink == sink, Delivery.event_id == event.id)
        row = session.scalars(query).one()
        session.expunge(row)
        return row
