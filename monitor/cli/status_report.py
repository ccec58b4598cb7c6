"""``cqc-monitor status``: what needs attention, and the report printed for people.

The judgement is a pure function of what ``store.status`` read, so it is tested with literals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor.cli import source_report
from monitor.domain.search_health import search_attention, search_lines

# Data older than these needs attention: the daily poll missed two days, or the monthly full
# review missed its month (35 days leaves room for a month of 31 days and a late start).
STALE_AFTER = {"incremental": timedelta(days=2), "full": timedelta(days=35)}
# A digest window this far behind with its deliveries still held: no worker sends it.
HELD_OVERDUE = timedelta(hours=1)


def attention(status: dict[str, Any], now: datetime) -> list[str]:
    """Why an operator should look, one line per reason; empty when all is well."""
    reasons = []
    failing = status["failing"]
    if failing:
        reasons.append(f"{len(failing)} location(s) failing")
    unknown = status.get("unknown", [])
    if unknown:
        reasons.append(
            f"{len(unknown)} watched id(s) not found at CQC (mistyped? remove them from the "
            "watchlist)"
        )
    reasons += search_attention(status.get("failing_searches", []))
    reasons += source_report.attention(status["source_shape"])
    dead = sum(counts["dead"] for counts in status["deliveries"].values())
    if dead:
        reasons.append(f"{dead} delivery(ies) dead")
    reasons += [f"sink {_disabled(sink)}" for sink in status["disabled_sinks"]]
    reasons += _overdue_digests(status.get("held", {}), now)
    cycles = status["cycles"]
    for kind, cycle in cycles.items():
        # A failed spot check told its operator at once (exit 1); it is no standing alarm.
        if cycle is not None and cycle["status"] == "failed" and kind in STALE_AFTER:
            why = cycle["error"] or "no reason recorded"
            reasons.append(f"the last {kind} cycle failed: {why}")
        expiry = cycle.get("lease_expires_at") if cycle is not None else None
        if expiry is not None and expiry < now:
            reasons.append(
                f"{kind} cycle {cycle['id']} is running but {cycle['owner']} stopped renewing "
                f"its lease at {_when(expiry)}: a running replica takes it over"
            )
    reasons += _staleness(cycles, now)
    return reasons


def _overdue_digests(held: dict[str, Any], now: datetime) -> list[str]:
    return [
        f"sink {sink!r} holds {waiting['deliveries']} delivery(ies) for a digest window that "
        f"passed at {_when(waiting['window'])}: is `run` up? (`cqc-monitor digest send` sends "
        "them now)"
        for sink, waiting in held.items()
        if now - waiting["window"] > HELD_OVERDUE
    ]


def _staleness(cycles: dict[str, Any], now: datetime) -> list[str]:
    completed = {
        kind: cycle["last_completed_at"]
        for kind, cycle in cycles.items()
        # A spot check of chosen ids says nothing about the rest of the watchlist.
        if kind in STALE_AFTER and cycle is not None and cycle["last_completed_at"] is not None
    }
    if not completed:
        return ["no cycle has completed yet"]
    newest = max(completed.values())
    # Any completed cycle refreshes what the poll watches; a full review refreshes everything.
    reasons = []
    if now - newest > STALE_AFTER["incremental"]:
        reasons.append(f"no cycle has completed since {_when(newest)}")
    full = completed.get("full")
    if full is None or now - full > STALE_AFTER["full"]:
        since = f"since {_when(full)}" if full else "yet"
        reasons.append(f"no full review has completed {since}")
    return reasons


def report_lines(status: dict[str, Any], reasons: list[str]) -> list[str]:
    """The table format: sections of aligned lines, attention first."""
    lines = ["needs attention:" if reasons else "ok: nothing needs attention"]
    lines += [f"  - {reason}" for reason in reasons]
    schema = status["schema"]
    lines += ["", f"schema:    revision {schema['current']} (head {schema['head']})"]
    lines.append(f"watermark: {_when(status['feed_watermark']) or 'none (no poll yet)'}")
    lines.append(f"worker:    {_lease(status['lease'])}")
    lines += ["", "schedules:"]
    lines += [
        f"  {s['job']:<10} next {_when(s['next_run_at']) or '-'}  last {s['last_status'] or '-'}"
        for s in status["schedules"]
    ] or ["  none recorded (no worker has run)"]
    lines += ["", "last cycles:"]
    lines += [_cycle_line(kind, cycle) for kind, cycle in status["cycles"].items()]
    locations = status["locations"]
    lines += ["", "locations: " + ", ".join(f"{n} {state}" for state, n in locations.items())]
    if providers := {state: n for state, n in status.get("providers", {}).items() if n}:
        lines.append("providers: " + ", ".join(f"{n} {state}" for state, n in providers.items()))
    lines += [
        f"  failing {f['id']} {f['name'] or ''} since {_when(f['since'])}: {f['last_error'] or ''}"
        for f in status["failing"]
    ]
    lines += [f"  {row['id']}: not found at CQC" for row in status.get("unknown", [])]
    lines += search_lines(status.get("failing_searches", []))
    lines += ["", "deliveries:"]
    waiting = [
        f"  {sink:<20} " + ", ".join(f"{n} {state}" for state, n in counts.items())
        for sink, counts in status["deliveries"].items()
    ]
    lines += waiting + _held_lines(status.get("held", {})) or ["  none waiting"]
    lines += _disabled_lines(status["disabled_sinks"])
    lines += source_report.status_lines(status["source_shape"])
    return lines


def _held_lines(held: dict[str, Any]) -> list[str]:
    return [
        f"  {sink:<20} {waiting['deliveries']} held for digest (next window "
        f"{_when(waiting['window'])})"
        for sink, waiting in held.items()
    ]


def _disabled_lines(sinks: list[dict[str, Any]]) -> list[str]:
    if not sinks:
        return []
    lines = ["", "disabled sinks (cqc-monitor sinks enable NAME, once the receiver is fixed):"]
    return lines + [f"  {_disabled(sink)}" for sink in sinks]


def _disabled(sink: dict[str, Any]) -> str:
    return f"{sink['name']!r} disabled since {_when(sink['since'])}: {sink['reason'] or '410 Gone'}"


def _cycle_line(kind: str, cycle: dict[str, Any] | None) -> str:
    if cycle is None:
        return f"  {kind:<11} never"
    took = (
        f"{cycle['duration_seconds']}s"
        if cycle["duration_seconds"] is not None
        else f"running on {cycle.get('owner') or 'an unknown process'}"
    )
    counts = ", ".join(f"{n} {name}" for name, n in cycle["counts"].items())
    return f"  {kind:<11} {cycle['status']} {_when(cycle['started_at'])} ({took}): {counts}"


def _lease(lease: dict[str, Any] | None) -> str:
    if lease is None:
        return "no worker holds the lease"
    since = _when(lease["since"])
    return f"held by {lease['holder']}" + (f" since {since}" if since else "")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else ""
