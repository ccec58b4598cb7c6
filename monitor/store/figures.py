"""The figures ``/metrics`` reads from the database at scrape time (SPEC §8).

Read from the database rather than counted in memory, so they are right after a restart, agree
between replicas, and say what ``cqc-monitor status`` says: every condition ``status`` calls
attention to has a figure here that an alert rule can watch.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.digests import held_by_sink
from monitor.store.runstate import database_now, location_states
from monitor.store.sink_states import disabled_sinks
from monitor.store.source_changes import unacknowledged
from monitor.store.status import CYCLE_KINDS, DELIVERY_STATES, deliveries_by_sink
from monitor.store.tables import Cycle, JobState


@dataclass(frozen=True, slots=True)
class Figures:
    deliveries_pending: int
    deliveries_dead: int
    # Newest completed cycle's finish, by kind: cycles over the whole watchlist only, never a
    # spot check of chosen ids, since the staleness alerts read it.
    last_success: dict[str, datetime]
    locations: dict[str, int] = field(default_factory=dict)  # by runstate.LOCATION_STATES
    next_runs: dict[str, datetime] = field(default_factory=dict)  # by scheduled job
    deliveries: dict[str, dict[str, int]] = field(default_factory=dict)  # sink -> state -> n
    disabled_sinks: tuple[str, ...] = ()  # disabled by a 410 Gone until `sinks enable`
    lease_expired: dict[str, int] = field(default_factory=dict)  # running cycles, by kind
    last_failed: dict[str, bool] = field(default_factory=dict)  # the newest cycle failed
    source_changes_unacknowledged: int = 0  # changes of CQC's document shape (SPEC 2.1.3)
    deliveries_held: dict[str, int] = field(default_factory=dict)  # sink -> held for its digest
    held_windows: dict[str, datetime] = field(default_factory=dict)  # the earliest one waited for
    # Providers watched for their own ratings, by runstate.LOCATION_STATES.
    providers: dict[str, int] = field(default_factory=dict)


def read_figures(session: Session, sinks: Collection[str] = ()) -> Figures:
    """``sinks``: the configured sinks, each counted (with zeros) even with nothing waiting,
    so a sink's first dead delivery is a change of its series, not a new series."""
    deliveries = {name: dict.fromkeys(DELIVERY_STATES, 0) for name in sinks}
    deliveries |= deliveries_by_sink(session)
    held = held_by_sink(session)
    finished = session.execute(
        select(Cycle.kind, func.max(Cycle.finished_at))
        .where(Cycle.status == "completed", Cycle.kind.in_(CYCLE_KINDS))
        .group_by(Cycle.kind)
    )
    return Figures(
        deliveries_pending=sum(c["pending"] + c["failed"] for c in deliveries.values()),
        deliveries_dead=sum(c["dead"] for c in deliveries.values()),
        last_success={kind: moment for kind, moment in finished if moment is not None},
        locations=location_states(session),
        providers=location_states(session, kind="provider"),
        next_runs={
            job: moment
            for job, moment in session.execute(select(JobState.job, JobState.next_run_at))
            if moment is not None
        },
        deliveries=dict(sorted(deliveries.items())),
        disabled_sinks=tuple(sink.name for sink in disabled_sinks(session)),
        lease_expired=expired_leases(session),
        last_failed=last_cycle_failed(session),
        source_changes_unacknowledged=unacknowledged(session),
        deliveries_held=dict.fromkeys(sinks, 0) | {sink: h.count for sink, h in held.items()},
        held_windows={sink: h.window for sink, h in held.items()},
    )


def expired_leases(session: Session) -> dict[str, int]:
    """Running cycles of each kind whose lease ran out, by the database's clock: their
    replica died, froze or lost the database, and no other replica has taken them over."""
    rows = session.execute(
        select(Cycle.kind, func.count())
        .where(
            Cycle.status == "running",
            Cycle.kind.in_(CYCLE_KINDS),
            Cycle.lease_expires_at < database_now(session),
        )
        .group_by(Cycle.kind)
    )
    return dict.fromkeys(CYCLE_KINDS, 0) | {kind: count for kind, count in rows}


def last_cycle_failed(session: Session) -> dict[str, bool]:
    """Whether the newest cycle of each kind ended ``failed`` (kinds never run are left out)."""
    failed = {}
    for kind in CYCLE_KINDS:
        newest = session.scalar(
            select(Cycle.status)
            .where(Cycle.kind == kind)
            .order_by(Cycle.started_at.desc(), Cycle.id.desc())
            .limit(1)
        )
        if newest is not None:
            failed[kind] = newest == "failed"
    return failed
