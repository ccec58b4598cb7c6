"""A first snapshot is silent, except for what CQC published since the id entered the
watchlist (SPEC §5.2): the pure ``decide`` step with literal documents."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.domain.decide import Decision, LocationState, Observation, Policy, decide
from monitor.domain.first_sight import as_of
from monitor.sim import inspections
from monitor.sources.api_document import parse_location
from tests.support import documents as docs

NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
ADDED = datetime(2026, 11, 20, 16, 45, tzinfo=UTC)  # the id entered the watchlist that day


def first_sight(
    doc: docs.Doc, *, watched_since: datetime | None = ADDED, policy: Policy | None = None
) -> Decision:
    state = LocationState(id=doc["locationId"], watched_since=watched_since)
    observation = Observation(doc["locationId"], snapshot=parse_location(doc))
    return decide(state, observation, None, now=NOW, policy=policy or Policy())


def test_first_sight_of_old_news_is_a_silent_baseline() -> None:
    decision = first_sight(docs.real(docs.LUCERNE))
    assert (decision.outcome, decision.events) == ("baseline", [])
    assert decision.snapshot is not None and decision.state.last_hash is not None


def test_assessment_only_location_first_seen_is_silent() -> None:
    doc = docs.without_current_ratings(
        docs.with_assessment(
            docs.real(docs.HENLEY),
            published="2026-10-15",
            overall="Inadequate",
            key_questions={"Safe": "Inadequate"},
        )
    )
    assert first_sight(doc).events == []


def test_downgrade_published_the_day_the_id_was_added_is_alerted_as_a_decline() -> None:
    doc = docs.with_assessment(
        docs.real(docs.HENLEY),
        published="2026-11-20",
        overall="Requires Improvement",
        key_questions={"Safe": "Inadequate"},
    )
    (event,) = first_sight(doc).events

    assert (event.type, event.severity) == ("rating_changed", "critical")
    rows = {c["question"]: (c["old"], c["new"], c["direction"]) for c in event.details["changes"]}
    # The "before" is the legacy rating the assessment replaced, from the document itself.
    assert rows == {
        "Overall": ("Good", "Requires improvement", "declined"),
        "Safe": ("Good", "Inadequate", "declined"),
    }


def test_report_and_deregistration_dated_after_the_id_was_added_are_alerted() -> None:
    doc = docs.deregister(
        docs.add_report(docs.real(docs.HENLEY), "new-report", "2026-11-24", "2026-10-30"),
        "2026-11-25",
    )
    events = {e.type: e for e in first_sight(doc).events}

    assert set(events) == {"new_inspection", "registration_changed"}
    assert events["new_inspection"].details["report_link_id"] == "new-report"
    registration = events["registration_changed"]
    assert (registration.severity, registration.details["new"]) == ("critical", "Deregistered")


def test_a_change_dated_the_day_before_the_id_was_added_stays_silent() -> None:
    doc = docs.add_report(docs.real(docs.HENLEY), "new-report", "2026-11-19", "2026-10-30")
    assert first_sight(doc).events == []


def test_unknown_watch_date_keeps_the_baseline_silent() -> None:
    doc = docs.add_report(docs.real(docs.HENLEY), "new-report", "2026-11-24", "2026-10-30")
    assert first_sight(doc, watched_since=None).events == []


def test_first_seen_alert_reports_every_current_rating() -> None:
    (event,) = first_sight(docs.real(docs.HENLEY), policy=Policy(first_seen="alert")).events
    assert {c["new"] for c in event.details["changes"]} == {"Good"}


def test_as_of_rebuilds_the_location_before_a_day_from_its_own_history() -> None:
    doc = docs.real(docs.LUCERNE)
    # As CQC publishes it: the 2019 rating moves to historicRatings, the new one is current.
    inspections.set_ratings(doc, {"Safe": "Inadequate"}, "2026-11-22", None, lambda: "r")
    current = parse_location(doc)
    before = as_of(current, "2026-11-20")

    safe = before.rating("Safe")
    assert safe is not None and (safe.rating, safe.date) == ("Good", "2019-10-31")
    assert "r" not in {r.link_id for r in before.reports}
    assert before.rating("Caring") == current.rating("Caring")
    assert as_of(current, "2027-01-01") == current
