"""The demo's story (SPEC §9): what the simulated regulator publishes, chapter by chapter, and
what the real worker makes of it.

The regulator and the worker share one ``StoryClock``, moved by the story, so change-feed
windows, snapshot times and retry times in the database all tell the same, reproducible story.
The story ends at the moment the demo runs (or the ``end`` it is given): the worker's cycles
happen in the hours before it, so the read commands and the dashboard show the story as just
played, and what CQC publishes is dated the days before it.
"""

from __future__ import annotations

import time as wallclock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor import output
from monitor.bootstrap import App
from monitor.demo.delivery import OutputFolder, WebhookReceiver
from monitor.services.review import CycleKind
from monitor.sim import ManualClock, SimulatedCqc
from monitor.store import queries

# Henley House: downgraded by a Single Assessment Framework rating, its report read for findings
HENLEY = "1-10000302982"
LUCERNE = "1-125856395"  # Lucerne House: deregistered
HARLEY = "1-201307300"  # Alliance Medical Harley Street: new inspection, monthly data review
ORWELL = "1-100000000001"  # Orwell View: a care home registering in the watched area
# Halstead's provider, an NHS trust rated as a whole: downgraded at its well-led inspection.
TRUST = "1-168055209"
TRUST_NAME = "Halstead and Colne Valley NHS Trust"
# A saved search: every care home in Suffolk (Henley House is one).
AREA_SEARCH = {"name": "suffolk-care-homes", "localAuthority": "Suffolk", "careHome": "Y"}
WEBHOOK_SINK = "partner-webhook"
# The story's calendar, as first written (1 November to 4 December 2025): its dates move so
# that its last day, LAST_DAY, falls on the day the demo runs, keeping their order and gaps.
LAST_DAY = date(2025, 12, 4)
# When the regulator and the worker act, in hours before the story's end. A publication comes
# more than an hour (the change feed's default overlap) before the poll that reads it and after
# the poll before, so each poll fetches only what is new.
BASELINE = 14.0  # the first full review
POLLS = {"harley": 11.5, "henley": 9.5, "lucerne": 7.5, "orwell": 5.5, "trust": 0.0}
FULL_REVIEW = 3.5  # the next "monthly" full review
PUBLISHED_BEFORE_POLL = 1.5


def dated(day: date, end: datetime) -> str:
    """The ISO date on which ``day`` of the story's calendar falls when the story ends at
    ``end``."""
    return (end.date() - (LAST_DAY - day)).isoformat()


class StoryClock(ManualClock):
    """A ``ManualClock`` the simulator calls and the worker asks ``now()``."""

    def now(self) -> datetime:
        return self()


@dataclass
class Stage:
    sim: SimulatedCqc
    app: App
    clock: StoryClock
    receiver: WebhookReceiver
    folder: OutputFolder
    echo: Callable[[str], None]
    end: datetime  # when the story ends: its last poll

    def hours_before_end(self, hours: float) -> datetime:
        return self.end - timedelta(hours=hours)

    def on(self, day: date) -> str:
        return dated(day, self.end)


@dataclass(frozen=True)
class Chapter:
    title: str
    explanation: str
    play: Callable[[Stage], None]


def tell(stage: Stage, *, pause: float = 0.0) -> None:
    """Plays every chapter in order, ``pause`` seconds apart (0 for tests and pipes)."""
    for number, chapter in enumerate(CHAPTERS, start=1):
        if number > 1 and pause:
            wallclock.sleep(pause)
        stage.echo("")
        stage.echo(f"━━ Chapter {number}. {chapter.title}")
        stage.echo(f"   {chapter.explanation}")
        chapter.play(stage)


# -- chapters ---------------------------------------------------------------------------------


def baseline(stage: Stage) -> None:
    stage.clock.set(stage.hours_before_end(BASELINE))
    # The trust as CQC rated it in 2023: Good, use of resources Good.
    stage.sim.make_trust(TRUST, name=TRUST_NAME)
    stage.sim.rate_provider(TRUST, _trust_ratings("Good", "Good", "Good"), report_date="2023-06-14")
    _cycle(stage, "full")


def new_inspection(stage: Stage) -> None:
    _publish(stage, "harley", "CQC publishes a new inspection report for Harley Street")
    stage.sim.add_report(
        HARLEY,
        report_date=stage.on(date(2025, 11, 3)),
        first_visit_date=stage.on(date(2025, 10, 14)),
    )
    _poll(stage, "harley")


def downgrade(stage: Stage) -> None:
    _publish(
        stage,
        "henley",
        "CQC publishes its new assessment of Henley House: Inadequate, in special measures",
    )
    plan = stage.sim.assess(
        HENLEY,
        overall="Inadequate",
        key_questions={
            "Safe": "Inadequate",
            "Effective": "Requires Improvement",
            "Caring": "Good",
            "Responsive": "Requires Improvement",
            "Well-led": "Inadequate",
        },
        published=stage.on(date(2025, 11, 4)),
        report=True,
    )
    # The report's words: the real assessment summary that found three breaches of regulation
    # and placed its service in special measures.
    stage.sim.set_report_text(plan, excerpts=("05a",))
    _poll(stage, "henley")


def deregistration(stage: Stage) -> None:
    _publish(stage, "lucerne", "Lucerne House is deregistered")
    stage.sim.deregister(LUCERNE, stage.on(date(2025, 11, 5)))
    _poll(stage, "lucerne")


def new_registration(stage: Stage) -> None:
    _publish(stage, "orwell", "Orwell View, a new care home in Ipswich, registers")
    stage.sim.register_care_home(
        location_id=ORWELL,
        name="Orwell View",
        local_authority="Suffolk",
        region="East",
        registered=stage.on(date(2025, 11, 10)),
        constituency="Ipswich",
        postal_code="IP4 1AA",
        town="Ipswich",
    )
    _poll(stage, "orwell")


def receiver_down(stage: Stage) -> None:
    stage.receiver.fail_with(503, retry_after=60)
    stage.echo("   webhook receiver: now answering 503 Service Unavailable, Retry-After: 60")
    stage.clock.set(stage.hours_before_end(FULL_REVIEW + PUBLISHED_BEFORE_POLL))
    _say(stage, "CQC posts a monthly data review for Harley Street")
    stage.sim.add_data_review(HARLEY, stage.on(date(2025, 11, 20)))
    stage.clock.set(stage.hours_before_end(FULL_REVIEW))
    _cycle(stage, "full")
    _show_webhook_deliveries(stage)


def receiver_recovers(stage: Stage) -> None:
    stage.receiver.recover()
    stage.echo("   webhook receiver: back up")
    stage.clock.advance(minutes=5)
    stage.echo(f"   [{_stamp(stage.clock.now())}] the dispatcher's next round")
    _deliver(stage)
    _show_webhook_deliveries(stage)


def trust_downgrade(stage: Stage) -> None:
    _publish(
        stage,
        "trust",
        f"CQC publishes its well-led inspection of {TRUST_NAME}: Requires improvement",
    )
    stage.sim.rate_provider(
        TRUST,
        _trust_ratings("Requires improvement", "Inadequate", "Requires improvement"),
        report_date=stage.on(date(2025, 12, 3)),
    )
    _poll(stage, "trust")


def _trust_ratings(overall: str, well_led: str, resources: str) -> dict[str, str]:
    return {
        "Overall": overall,
        "Safe": "Good",
        "Effective": "Good",
        "Caring": "Good",
        "Responsive": "Good",
        "Well-led": well_led,
        "Use of resources": resources,
    }


def history(stage: Stage) -> None:
    with stage.app.sessions() as session:
        rows = queries.history(session, HENLEY)
    stage.echo(f"   $ cqc-monitor history {HENLEY}")
    stage.echo(_indent(output.history_table(rows)))


CHAPTERS = (
    Chapter(
        "Baseline",
        "The first full review stores a snapshot of every watched location; no alerts (silent).",
        baseline,
    ),
    Chapter(
        "A new inspection",
        "The daily poll reads CQC's change feed and re-fetches only the locations in it.",
        new_inspection,
    ),
    Chapter(
        "A downgrade under the new assessment framework",
        "Henley House, Good since 2022, is re-rated under CQC's Single Assessment Framework: "
        "Overall Inadequate. The worker reads the new report's text: 3 breaches of regulation, "
        "placed in special measures. A critical alert, with what the report found.",
        downgrade,
    ),
    Chapter(
        "A deregistration",
        "Lucerne House leaves the register: a critical registration_changed alert.",
        deregistration,
    ),
    Chapter(
        "A new service in the watched area",
        "A saved search follows every care home in Suffolk: a home that registers there joins "
        "the watchlist at the next poll, with a location_added alert (not yet rated).",
        new_registration,
    ),
    Chapter(
        "A sink fails",
        "The monthly full review finds a website-only data review while the webhook is down.",
        receiver_down,
    ),
    Chapter(
        "The sink recovers",
        "Failed deliveries wait in the outbox and are retried with backoff: nothing is lost.",
        receiver_recovers,
    ),
    Chapter(
        "An NHS trust downgraded",
        f"{TRUST_NAME} is rated as a whole, above its hospitals. CQC's well-led inspection "
        "rates the trust Requires improvement, well-led Inadequate, use of resources Requires "
        "improvement: one critical provider_rating_changed naming the trust, and its report as "
        "provider_new_report. Its hospital, unchanged, stays quiet.",
        trust_downgrade,
    ),
    Chapter(
        "The audit trail",
        "Everything seen and sent stays in the database; `history` tells one location's story.",
        history,
    ),
)


# -- steps ------------------------------------------------------------------------------------


def _publish(stage: Stage, poll: str, what: str) -> None:
    """The regulator publishes, before the worker's poll named ``poll``."""
    stage.clock.set(stage.hours_before_end(POLLS[poll] + PUBLISHED_BEFORE_POLL))
    _say(stage, what)


def _say(stage: Stage, what: str) -> None:
    stage.echo(f"   [{_stamp(stage.clock.now())}] regulator: {what}")


def _poll(stage: Stage, poll: str) -> None:
    stage.clock.set(stage.hours_before_end(POLLS[poll]))
    _cycle(stage, "incremental")


def _cycle(stage: Stage, kind: CycleKind) -> None:
    name = "monthly full review" if kind == "full" else "daily poll of the change feed"
    stage.echo(f"   [{_stamp(stage.clock.now())}] worker: {name}")
    report = stage.app.review().run(kind, trigger="demo")
    stage.echo(f"   {report.summary()}")
    _deliver(stage)


def _deliver(stage: Stage) -> None:
    before = stage.folder.files()
    stage.echo("")
    report = stage.app.dispatcher().deliver_due()
    stage.echo(f"   {report.summary()}")
    for sink, counts in sorted(report.by_sink.items()):
        stage.echo(f"     {sink}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    for path in sorted(stage.folder.files() - before):
        stage.echo(f"     wrote {path.relative_to(stage.folder.root)}")


def _show_webhook_deliveries(stage: Stage) -> None:
    with stage.app.sessions() as session:
        rows = [r for r in queries.alerts(session) if r["sink"] == WEBHOOK_SINK][:1]
    columns = ("id", "sink", "status", "attempts", "event_type", "next_attempt_at", "last_error")
    stage.echo("   $ cqc-monitor alerts   (the webhook's latest delivery)")
    stage.echo(_indent(output.render(rows, columns, "table")))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y %H:%M UTC")


def _indent(text: str) -> str:
    return "\n".join(f"   {line}" for line in text.splitlines())
