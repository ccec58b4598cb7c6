"""A world for digest tests: a real database, the fake register, an injected clock, and real
receivers (SMTP, webhook) behind sinks with a weekly digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.store.tables import Delivery, DigestRecord
from tests.fakes import FakeClock, FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MONDAYS = "0 8 * * 1"  # Mondays 08:00, Europe/London (UTC in winter)
THURSDAY = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
WINDOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # the Monday after


def mail_sink(smtp: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "mail",
        "type": "email",
        "host": smtp.host,
        "port": smtp.port,
        "security": "none",
        "from": "cqc-monitor@example.org",
        "to": ["ops@example.org"],
        "digest": MONDAYS,
        **extra,
    }


def hook_sink(hook: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "hook",
        "type": "webhook",
        "url": hook.url,
        "secret": SECRET,
        "digest": MONDAYS,
        **extra,
    }


@dataclass
class World:
    """One database and register; each ``process`` is an app sharing them (a replica)."""

    database_url: str
    sinks: list[dict[str, Any]]
    clock: FakeClock = field(default_factory=lambda: FakeClock(THURSDAY))
    cqc: FakeCqc = field(default_factory=lambda: FakeCqc(docs.all_real()))
    reports: int = 0

    def process(self, owner: str = "host-a:1", **overrides: Any) -> App:
        sinks = overrides.pop("sinks", self.sinks)
        settings = settings_for(
            self.database_url, watch={"locations": list(self.cqc.documents)}, sinks=sinks
        )
        app = app_for(settings, api=self.cqc, clock=self.clock, **overrides)
        app.owner = owner
        return app

    def baseline(self, app: App) -> None:
        assert app.review().run("full").events == []

    def new_reports(self, app: App, *locations: str) -> list[str]:
        """A new inspection report at each location (info: no rating changed); event ids."""
        for location in locations:
            self.reports += 1
            current = self.cqc.documents[location]
            link = f"0000000{self.reports}-0000-4000-8000-000000000000"
            day = f"2026-11-{self.reports % 20 + 1:02d}"
            self.cqc.documents[location] = docs.add_report(current, link, day, "2026-10-01")
        events = app.review().run("full").events
        assert {(e.type, e.severity) for e in events} == {("new_inspection", "info")}
        return [event.id for event in events]

    def deregistration(self, app: App, location: str = docs.LUCERNE) -> str:
        """A critical change: the location is deregistered."""
        self.cqc.documents[location] = docs.deregister(self.cqc.documents[location], "2026-11-25")
        (event,) = app.review().run("full").events
        assert event.severity == "critical"
        return event.id


def deliveries(app: App, sink: str | None = None) -> list[tuple[str, str, datetime]]:
    """(sink, status, next_attempt_at) of each delivery, in order."""
    query = select(Delivery.sink, Delivery.status, Delivery.next_attempt_at).order_by(Delivery.id)
    if sink is not None:
        query = query.where(Delivery.sink == sink)
    with app.sessions() as session:
        return [(row.sink, row.status, row.next_attempt_at) for row in session.execute(query)]


def digest_rows(app: App) -> list[DigestRecord]:
    with app.sessions() as session:
        rows = list(session.scalars(select(DigestRecord).order_by(DigestRecord.id)))
        session.expunge_all()
        return rows
