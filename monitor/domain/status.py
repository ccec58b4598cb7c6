"""Events about a location's availability rather than its content (SPEC §5.2)."""

from __future__ import annotations

from monitor.domain.events import Event, Subject, about, event_id


def location_removed(
    ref: Subject, *, http_status: int | None, last_hash: str | None, detected_at: str
) -> Event:
    details = {"http_status": http_status}
    return Event(
        id=event_id(ref.id, "location_removed", last_hash, http_status),
        type="location_removed",
        severity="critical",
        detected_at=detected_at,
        **about(ref),
        summary=f"{ref.name} is no longer published by CQC (HTTP {http_status}).",
        details=details,
    )


def monitor_failing(
    ref: Subject, *, failures: int, last_error: str, streak_started: str, detected_at: str
) -> Event:
    summary = f"{ref.name} could not be checked in {failures} consecutive cycles: {last_error}"
    return streak_event(
        "monitor_failing",
        "warning",
        summary,
        ref,
        failures,
        last_error,
        streak_started,
        detected_at,
    )


def monitor_recovered(
    ref: Subject, *, failures: int, last_error: str, streak_started: str, detected_at: str
) -> Event:
    summary = f"{ref.name} can be checked again after {failures} failed cycles."
    return streak_event(
        "monitor_recovered", "info", summary, ref, failures, last_error, streak_started, detected_at
    )


def streak_event(
    kind: str,
    severity: str,
    summary: str,
    ref: Subject,
    failures: int,
    last_error: str,
    streak_started: str,
    detected_at: str,
    **details: object,
) -> Event:
    """``monitor_failing`` or ``monitor_recovered`` for one failure streak of ``ref``."""
    return Event(
        # One notice of each kind per failure streak, however often the streak is re-detected.
        id=event_id(ref.id, kind, streak_started),
        type=kind,
        severity=severity,
        detected_at=detected_at,
        **about(ref),
        summary=summary,
        details={**details, "consecutive_failures": failures, "last_error": last_error},
    )
