"""Sinks disabled because their receiver answered 410 Gone (SPEC §6), for every process.

The 410 is written to the database in the transaction that records the outcome, so the state
and the dead deliveries always agree, and every dispatcher (another replica, this one after a
restart) reads it before each batch: nothing more is sent to the gone endpoint.

Deliveries a disabled sink cannot take are not held back silently: they go ``dead`` at once
with an error starting with ``DISABLED`` (so ``status`` needs attention and ``alerts`` says
why), and ``sinks enable`` re-queues exactly those, the marker picking them out from
deliveries that died for their own reasons. Once the receiver is fixed, nothing the disable
stopped is lost; a receiver deduplicates by ``webhook-id`` whatever it saw before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store import digests, outbox, sink_states
from monitor.store.sink_states import DisabledSink

DISABLED = "sink disabled: "
GONE = DISABLED + "its receiver answered 410 Gone (endpoint removed)"


@dataclass(frozen=True, slots=True)
class Enabled:
    was: DisabledSink
    requeued: int  # dead deliveries made due again


def recorded_error(error: str | None, *, gone: bool) -> str | None:
    """The error recorded for an attempt (``error`` already masked): one the disable stopped
    is marked, so ``sinks enable`` re-queues it with the rest."""
    return DISABLED + (error or "410 Gone") if gone else error


def disable(session: Session, name: str, now: datetime, reason: str) -> None:
    """Disable the sink for every process (``retire_due`` then stops its other deliveries)."""
    sink_states.disable(session, name, now, reason)


def retire_due(session: Session, name: str, now: datetime) -> int:
    """The sink's due deliveries, those held for its digest and its digests not sent yet go
    dead, marked as stopped by the disable; how many deliveries."""
    killed = outbox.kill_sink(session, name, now, GONE)
    digests.kill(session, name, now, GONE)
    return killed


def retire_if_disabled(session: Session, name: str, now: datetime) -> int | None:
    """None when the sink may send; else how many of its due deliveries just went dead."""
    if sink_states.disabled_sink(session, name) is None:
        return None
    return retire_due(session, name, now)


def enable(
    session: Session,
    name: str,
    now: datetime,
    *,
    requeue: bool = True,
    hold: tuple[Sequence[str], datetime] | None = None,
) -> Enabled | None:
    """Re-enable a sink; None when it was not disabled.

    ``requeue=False`` only clears the state (a sink no longer configured has nobody to send to).
    ``hold`` (severities, window): for a sink with a digest, the re-queued deliveries of these
    severities wait for that window rather than going at once.
    """
    was = sink_states.enable(session, name)
    if was is None:
        return None
    requeued = outbox.requeue_dead(session, name, DISABLED, now, hold=hold) if requeue else 0
    return Enabled(was, requeued)
