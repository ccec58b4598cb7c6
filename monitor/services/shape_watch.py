"""The shape watch in the review cycle (SPEC §2.1.3): every document a cycle reads is tallied
by shape; what the deployment does not know is recorded, and reported once, as a
``source_changed`` event routed like any other.

Location documents are read on the cycle's own thread, a batch at a time; list pages, change-
feed pages and provider documents come from the API client's listener (``ShapeWatch.page``) on
the thread of the cycle that asked for them. A location document whose body is byte for byte
one this process has read before cannot have a new shape: it is not walked again (its body's
hash is remembered, a 64-bit keyed hash of each body read, ``MAX_BODIES`` at most).

Counts are written every ``FLUSH_EVERY`` documents and at the end of a cycle; changes are
recorded as soon as a batch is written. A failure here is logged and retried at the next
write: the shape watch never fails a cycle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.events import Event
from monitor.domain.shape import Reading, ShapeReader
from monitor.domain.shape_catalogue import KINDS, LOCATION
from monitor.domain.shape_watch import Counts, Known, ShapeTally, page_example
from monitor.domain.source_events import source_changed
from monitor.errors import CycleLostError, short_error
from monitor.services.observe import Gathered
from monitor.services.ports import Clock
from monitor.store import cycles, outbox
from monitor.store.cycles import CycleLease
from monitor.store.repository import insert_event
from monitor.store.source_shape import (
    Claim,
    add_counts,
    claim,
    example_location,
    link_event,
    load_learned,
    mark_learned,
)

log = structlog.get_logger(__name__)

FLUSH_EVERY = 5_000  # documents read between two writes of the counts
MAX_BODIES = 250_000  # about 17 MB; the register holds about 120,000 locations

Routes = Callable[[Event], list[outbox.Route]]


class ShapeWatch:
    """The shape watch of one application: its reader's caches and the bodies it has read
    outlive cycles; each cycle gets its own ``CycleShapes``."""

    def __init__(self, sessions: sessionmaker[Session], routes: Routes, clock: Clock) -> None:
        self.sessions = sessions
        self.routes = routes
        self.clock = clock
        self._reader = ShapeReader()
        self._lock = threading.Lock()
        self._bodies: set[int] = set()
        self._open: dict[int, ShapeTally] = {}  # thread → the tally of the cycle it runs
        self._carried: list[Claim] = []  # found by a cycle that could not record them
        # CPU time the shape watch has spent on cycles' threads: what the benchmark reports.
        self.cpu_seconds = 0.0

    @contextmanager
    def timed(self) -> Iterator[None]:
        started = time.thread_time()
        try:
            yield
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.cpu_seconds += spent

    def page(self, kind: str, doc: Any) -> None:
        """The API client read a page or a provider document (its listener)."""
        tally = self._open.get(threading.get_ident())
        if tally is None or not isinstance(doc, dict) or kind not in KINDS:
            return
        try:
            with self.timed():
                tally.add(kind, page_example(kind, doc), self.read(doc))
        except Exception as exc:  # a page's shape must never stop the listing it is part of
            log.warning("shape_watch_failed", kind=kind, error=short_error(exc))

    def read(self, doc: Any) -> Reading:
        with self._lock:  # overlapping cycles share the reader's caches
            return self._reader.read(doc)

    def seen(self, body: bytes) -> bool:
        """Whether this exact body was read before; remembers it."""
        digest = hash(body)
        with self._lock:
            if digest in self._bodies:
                return True
            if len(self._bodies) >= MAX_BODIES:
                self._bodies.clear()
            self._bodies.add(digest)
        return False

    def begin(self, *, full: bool) -> CycleShapes | IdleShapes:
        """A cycle starts (on its own thread). ``full``: a full review of the whole watchlist,
        the kind whose end finishes the first, silent, learning."""
        try:
            with self.sessions() as session:
                learned = load_learned(session)
        except Exception as exc:  # the cycle goes on without a shape watch
            log.warning("shape_watch_failed", error=short_error(exc))
            return IdleShapes()
        known = Known(learned.paths, learned.values)
        tally = ShapeTally(known, learning=learned.learned_at is None)
        with self._lock:
            carried, self._carried = self._carried, []
        tally.hold(carried)
        self._open[threading.get_ident()] = tally
        return CycleShapes(self, tally, learned.counts, full=full)

    def end(self, tally: ShapeTally) -> None:
        self._open.pop(threading.get_ident(), None)
        left = tally.take()
        if left:
            with self._lock:
                self._carried += left


class CycleShapes:
    """One cycle's shape watch: read its batches, write what they showed."""

    def __init__(
        self, watch: ShapeWatch, tally: ShapeTally, before: Mapping[str, Counts], *, full: bool
    ) -> None:
        self.watch = watch
        self.tally = tally
        self.before = dict(before)
        self.full = full

    def read(self, batch: Sequence[Gathered]) -> None:
        with self.watch.timed():
            self._read(batch)

    def _read(self, batch: Sequence[Gathered]) -> None:
        for gathered in batch:
            doc = gathered.document
            if not isinstance(doc, dict):
                continue
            if gathered.body is not None and self.watch.seen(gathered.body):
                continue  # the same bytes as a body read before: the same shape
            reading = self.watch.read(doc)
            self.tally.add(LOCATION, gathered.observation.location_id, reading)

    def write(self, lease: CycleLease, *, final: bool = False) -> list[Event]:
        """Record what is new and write the counts when due; returns the events written."""
        with self.watch.timed():
            return self._write(lease, final=final)

    def _write(self, lease: CycleLease, *, final: bool) -> list[Event]:
        unwritten = self.tally.unwritten
        if not self.tally.pending and unwritten < FLUSH_EVERY and not (final and unwritten):
            return []
        now = self.watch.clock.now()
        taken = self.tally.take()
        try:
            with self.watch.sessions.begin() as session:
                cycles.hold(session, lease)
                add_counts(session, self.tally.fresh(), now)
                claimed = claim(session, taken, now, lease.cycle_id)
                events = self._report(session, claimed, now, lease.cycle_id)
                if events:
                    cycles.add_counts(session, lease, {"events": len(events)})
        except CycleLostError:
            raise
        except Exception as exc:  # never fails the cycle: tried again at the next write
            log.warning("shape_watch_failed", cycle_id=lease.cycle_id, error=short_error(exc))
            self.tally.hold(taken)
            return []
        for event in events:
            log.warning("source_changed", event_id=event.id, **_figures(event))
        return events

    def finish(self, lease: CycleLease) -> list[Event]:
        """The cycle has read everything: missing paths, the last counts, and the end of the
        first learning when this was the first full review."""
        with self.watch.timed():
            self.tally.hold(self.tally.missing(self.before))
        events = self.write(lease, final=True)
        # A first review that read no location document (nothing watched yet, or CQC's API
        # down for all of them) has learned nothing: the next one learns.
        if self.full and self.tally.learning and self.tally.documents(LOCATION):
            self._learned(lease)
        return events

    def _learned(self, lease: CycleLease) -> None:
        try:
            with self.watch.sessions.begin() as session:
                cycles.hold(session, lease)
                mark_learned(session, self.watch.clock.now(), lease.cycle_id)
        except CycleLostError:
            raise
        except Exception as exc:  # the next full review learns again
            log.warning("shape_watch_failed", cycle_id=lease.cycle_id, error=short_error(exc))
            return
        log.info("source_shape_learned", cycle_id=lease.cycle_id)

    def close(self) -> None:
        self.watch.end(self.tally)

    def _report(
        self, session: Session, claimed: list[Claim], now: datetime, cycle_id: int
    ) -> list[Event]:
        """One event per kind of document for what this write recorded."""
        events = []
        detected_at = now.isoformat().replace("+00:00", "Z")
        for kind in KINDS:
            group = [(n, examples) for n, examples in claimed if n.kind == kind]
            if not group:
                continue
            examples = list(dict.fromkeys(e for _, ids in group for e in ids))
            location = example_location(session, examples)
            if location is None:  # nothing is watched yet: recorded, shown by status
                log.warning("source_changed_unfiled", kind=kind, changes=len(group))
                continue
            if location.id in examples:  # the event's location is its first example
                examples.remove(location.id)
                examples.insert(0, location.id)
            novelties = [n for n, _ in group]
            event = source_changed(kind, novelties, examples, location, detected_at)
            insert_event(session, event, location_id=location.id, cycle_id=cycle_id, now=now)
            outbox.enqueue(session, event, self.watch.routes(event), now)
            link_event(session, [n.key for n in novelties], event.id)
            events.append(event)
        return events


def _figures(event: Event) -> dict[str, Any]:
    details = event.details
    return {
        "kind": details.get("kind"),
        "paths_added": details.get("paths_added"),
        "paths_missing": details.get("paths_missing"),
        "values_added": [v.get("value") for v in details.get("values_added") or ()],
        "examples": details.get("examples"),
    }


class IdleShapes:
    """No shape watch (an application built without one): every step does nothing."""

    def read(self, batch: Sequence[Gathered]) -> None:
        return None

    def write(self, lease: CycleLease, *, final: bool = False) -> list[Event]:
        return []

    def finish(self, lease: CycleLease) -> list[Event]:
        return []

    def close(self) -> None:
        return None
