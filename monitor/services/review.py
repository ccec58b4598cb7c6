"""The review cycle (SPEC §1, §5): gather → decide → apply, in batches, one location never
stopping the others.

Fetching runs on a thread pool inside the shared rate limit; the main thread decides and
writes one transaction per batch while the pool keeps fetching, so the network and the
database overlap and memory holds at most a couple of batches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.decide import LocationState, Observation, Policy, decide
from monitor.domain.events import Event
from monitor.domain.snapshot import Snapshot
from monitor.errors import CycleLostError, MonitorError, RecordRejectedError, short_error
from monitor.redaction import Redactor
from monitor.services.cycle_lease import LeaseKeeper
from monitor.services.cycle_report import CycleReport, batch_figures
from monitor.services.membership import IDLE, Plan
from monitor.services.observe import Gathered, Observer
from monitor.services.ports import Clock, LocationSource, PageSource, ProviderSource
from monitor.services.progress import NoProgress, Progress
from monitor.services.report_stage import ReportStage
from monitor.services.routing import Router
from monitor.services.searches import SearchWatch
from monitor.services.shape_watch import CycleShapes, IdleShapes, ShapeWatch
from monitor.services.targets import Watchlist, full_review_targets, incremental_targets
from monitor.services.throughput import pipelined, process_pacing
from monitor.sources.api_document import redacted_payload
from monitor.store import cycles, outbox
from monitor.store.cycles import CycleLease, TakenCycle
from monitor.store.memberships import record_search_events
from monitor.store.report_texts import Reading
from monitor.store.repository import (
    Applied,
    apply,
    compress_raw,
    get_watermark,
    load_snapshots,
    load_states,
    set_watermark,
    settled_bodies,
)
from monitor.store.watchlist import (
    failing_location_ids,
    mark_unwatched,
    register_spot,
    register_watched,
    watch_every_location,
)

log = structlog.get_logger(__name__)


class CycleAbandoned(MonitorError):
    """The worker is stopping; committed batches stand, the watermark does not move."""


CycleKind = Literal["incremental", "full"]
# A cycle over chosen ids only (``check --location``): recorded as its own kind, so it never
# passes for the poll or the full review that the staleness alarms wait for.
SPOT = "spot"
FEED = "changes/location"


@dataclass(frozen=True)
class ReviewOptions:
    concurrency: int = 4
    batch_size: int = 200
    keep_raw_payload: bool = True
    policy: Policy = field(default_factory=Policy)
    # Each poll re-reads this much of the previous window: a change CQC stamps late, or a
    # clock a little ahead of CQC's, would otherwise fall between two polls. Re-fetching an
    # unchanged location costs one request and writes nothing.
    feed_overlap: timedelta = timedelta(0)
    # How long a running cycle's lease lasts without renewal (it is renewed four times per
    # lease): after that, another replica may take the cycle over.
    cycle_lease: timedelta = timedelta(seconds=60)
    # Replicas share the database (PostgreSQL): a scheduled cycle whose process is gone is
    # left running for another replica to finish, rather than closed as abandoned.
    takeover: bool = False


class ReviewService:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        api: LocationSource,
        web: PageSource | None,
        watch: Watchlist,
        routes: Router,
        clock: Clock,
        options: ReviewOptions,
        owner: str = "cli",
        stop: threading.Event | None = None,
        redact: Redactor | None = None,
        alive: Callable[[str], bool] | None = None,
        searches: SearchWatch | None = None,
        progress: Progress | None = None,
        shapes: ShapeWatch | None = None,
        texts: ReportStage | None = None,
        providers: ProviderSource | None = None,
    ) -> None:
        self.sessions = sessions
        # The watched providers' own documents (None: providers only expand to locations).
        self.providers = providers
        self.observe_providers = Observer.of_providers(providers, clock) if providers else None
        # Reads each new report's text for its findings (None: reports are not read).
        self.texts = texts
        self.progress = progress or NoProgress()
        self.redact = redact or Redactor()
        # Whether the process owning a running cycle (``host:pid``) may still run.
        self.alive = alive or _assume_alive
        # Set by the worker on shutdown: the cycle ends after the batch in hand, unfinished.
        self.stop = stop or threading.Event()
        self.api = api
        self.watch = watch
        self.routes = routes
        self.clock = clock
        self.options = options
        self.owner = owner
        self.observe = Observer.of_locations(api, web, clock)
        self.searches = searches
        self._plan: Plan = IDLE  # the saved searches' share of the cycle in hand
        self._total: int | None = None  # how many locations the cycle in hand expects
        # The shape watch of CQC's documents, and its share of the cycle in hand.
        self.shapes = shapes
        self._shapes: CycleShapes | IdleShapes = IdleShapes()

    def run(
        self,
        kind: CycleKind = "incremental",
        *,
        only: Iterable[str] | None = None,
        trigger: str = "cli",
        slot_key: str | None = None,
    ) -> CycleReport:
        started = self.clock.now()
        with self.sessions.begin() as session:
            watermark = get_watermark(session, FEED)
            retry = failing_location_ids(session)
        if only is None and kind == "incremental" and watermark is None:
            kind = "full"  # nothing to poll from yet: look at everything once
        with self.sessions.begin() as session:
            lease = cycles.start(
                session,
                _recorded(kind, only),
                trigger,
                slot_key,
                self.owner,
                started,
                alive=self.alive,
                ttl=self.options.cycle_lease,
                takeover=self.options.takeover,
            )

        def targets(report: CycleReport) -> Iterator[str]:
            return self._targets(kind, only, watermark, started, retry, report)

        def providers() -> Iterator[str]:
            return self._provider_targets(kind, only, watermark, started)

        return self._carry(lease, kind, started, targets, only, providers)

    def resume(self, taken: TakenCycle) -> CycleReport:
        """Finish a cycle taken over from a replica that stopped renewing its lease: the
        same targets, as seen from the cycle's start (a poll reads the same feed window),
        without the locations the cycle has already written."""
        cycle_id = taken.lease.cycle_id
        with self.sessions.begin() as session:
            done = cycles.processed_ids(session, cycle_id)
            retry = failing_location_ids(session)
            watermark = taken.feed_window[0] if taken.feed_window else get_watermark(session, FEED)
        kind: CycleKind = "incremental" if taken.kind == "incremental" else "full"
        if kind == "incremental" and watermark is None:
            kind = "full"
        log.info(
            "cycle_taken_over",
            cycle_id=cycle_id,
            kind=kind,
            previous_owner=taken.previous_owner,
            fence=taken.lease.fence,
            already_processed=len(done),
        )

        def targets(report: CycleReport) -> Iterator[str]:
            # A poll's window ends at its start: the same window, the same overlap.
            remaining = self._targets(kind, None, watermark, taken.started_at, retry, report)
            if self._total is not None:
                self._total = max(0, self._total - len(done))
            return (location_id for location_id in remaining if location_id not in done)

        def providers() -> Iterator[str]:
            remaining = self._provider_targets(kind, None, watermark, taken.started_at)
            return (provider_id for provider_id in remaining if provider_id not in done)

        return self._carry(taken.lease, kind, taken.started_at, targets, None, providers)

    def _carry(
        self,
        lease: CycleLease,
        kind: CycleKind,
        started: datetime,
        make_targets: Callable[[CycleReport], Iterator[str]],
        only: Iterable[str] | None,
        provider_targets: Callable[[], Iterator[str]],
    ) -> CycleReport:
        """Run a cycle under its lease to its end; every write is fenced by the lease."""
        clock_start = time.monotonic()
        recorded = _recorded(kind, only)
        report = CycleReport(cycle_id=lease.cycle_id, kind=recorded)
        bound = log.bind(cycle_id=lease.cycle_id, kind=recorded)
        try:
            with LeaseKeeper(self.sessions, lease, self.options.cycle_lease) as keeper:
                self._watch_shapes(kind, only)
                targets = make_targets(report)
                with self.sessions.begin() as session:
                    cycles.record_window(session, lease, report.feed_window)
                self.progress.started(recorded, self._total)
                if self.texts is not None:
                    self.texts.reader.start_cycle()
                self.observe.settled = self._settled_bodies(kind, only)
                with process_pacing().paced():
                    self._process(targets, report, lease, keeper)
                    if self.observe_providers is not None:
                        # After the locations: a trust's own document, as its hospitals'.
                        observe = self.observe_providers
                        self._process(provider_targets(), report, lease, keeper, observe)
                self.observe.settled = None
                report.events += self._shapes.finish(lease)
                report.events += self._retry_texts(lease)
                report.duration_seconds = time.monotonic() - clock_start
                # The watermark moves only with the cycle's completion, in one transaction.
                with self.sessions.begin() as session:
                    cycles.hold(session, lease)
                    self._record_searches(session, lease, report)
                    self._advance_watermark(session, only, started, report)
                    cycles.finish(session, lease, self.clock.now())
                    report.adopt(cycles.totals(session, lease.cycle_id))
        except BaseException as exc:
            report.duration_seconds = time.monotonic() - clock_start
            if isinstance(exc, CycleLostError):
                bound.warning("cycle_lost", reason=str(exc), written_here=report.locations)
                raise
            status = "abandoned" if isinstance(exc, CycleAbandoned) else "failed"
            if self._record_end(lease, status, self.redact(str(exc))) is False:
                # Failed because the cycle was no longer ours (the database ended this
                # frozen session, say): the new owner says how it ends.
                lost = self._lost(lease)
                bound.warning("cycle_lost", reason=str(lost), written_here=report.locations)
                raise lost from exc
            bound.error("cycle_failed", error=str(exc), **report.counts())
            raise
        finally:
            self.observe.settled = None
            self.progress.finished()
            self._shapes.close()
            self._shapes = IdleShapes()
        bound.info(
            "cycle_completed", duration_s=round(report.duration_seconds, 3), **report.counts()
        )
        return report

    def _settled_bodies(self, kind: CycleKind, only: Iterable[str] | None) -> dict[str, str] | None:
        """The document digests a full review (or a check of named ids) may find again: an
        incremental cycle fetches what changed, and saved searches read every snapshot."""
        if not self.observe.digests or self.searches is not None:
            return None
        if only is None and kind != "full":
            return None
        with self.sessions() as session:
            return settled_bodies(session, None if only is None else list(only))

    def _record_searches(self, session: Session, lease: CycleLease, report: CycleReport) -> None:
        """The saved searches' share of the cycle's completion: how many could not be
        resolved, and the events about a search itself, routed to the sinks that follow it."""
        now = self.clock.now()
        outcome = self._plan.finish(session, now, self.options.policy.failing_after)
        written = []
        for search, event in outcome.events:
            for new in record_search_events(session, search, [event], lease.cycle_id, now):
                outbox.enqueue(session, new, self.routes(new, {search}), now)
                written.append(new)
        report.events += written
        figures = {"search_errors": outcome.failed, "events": len(written)}
        cycles.add_counts(session, lease, figures)

    def _watch_shapes(self, kind: CycleKind, only: Iterable[str] | None) -> None:
        """Before the targets: the pages that list them are documents too. Only a full review
        of the whole watchlist ends the first, silent, learning of the shape."""
        if self.shapes is not None:
            self._shapes = self.shapes.begin(full=kind == "full" and only is None)

    def _retry_texts(self, lease: CycleLease) -> list[Event]:
        """The report texts earlier cycles could not read, tried again within what is left
        of this cycle's time for texts. A failure here costs findings, never the cycle."""
        if self.texts is None:
            return []
        try:
            return self.texts.retry(lease, self.routes, self.clock.now())
        except CycleLostError:
            raise
        except Exception as exc:
            log.error("report_texts_not_retried", error=self.redact(short_error(exc)))
            return []

    def _record_end(self, lease: CycleLease, status: str, error: str) -> bool | None:
        """Whether the end was recorded (False: the lease is another's; None: unknown)."""
        # The original failure matters more than this record of it: say so, and go on. A cycle
        # left running this way is closed or taken over once its lease runs out.
        try:
            with self.sessions.begin() as session:
                return cycles.finish(session, lease, self.clock.now(), status=status, error=error)
        except Exception as exc:
            log.error(
                "cycle_not_recorded",
                cycle_id=lease.cycle_id,
                status=status,
                error=short_error(exc),
            )
            return None

    def _lost(self, lease: CycleLease) -> CycleLostError:
        """The error of a cycle this process no longer owns, saying who does."""
        with self.sessions() as session:
            return CycleLostError(cycles.lost_message(session, lease))

    def register_configured(self) -> int:
        """Record today as the day configured ids entered the watchlist, before any cycle:
        what CQC publishes for them from now on is alerted even on their first fetch.
        Returns how many watched ids have no baseline yet."""
        ids = list(dict.fromkeys((*self.watch.locations, *self.watch.file_ids)))
        now = self.clock.now()
        with self.sessions.begin() as session:
            waiting = register_watched(session, ids, now)
            # Providers watched for their own ratings: from today too.
            waiting += register_watched(session, self._watched_providers(), now, kind="provider")
        return len(waiting)

    # -- gather -------------------------------------------------------------------------

    def _targets(
        self,
        kind: CycleKind,
        only: Iterable[str] | None,
        watermark: datetime | None,
        started: datetime,
        retry: list[str],
        report: CycleReport,
    ) -> Iterator[str]:
        self._plan = IDLE
        self._total = None
        if only is not None:
            ids = [i for i in dict.fromkeys(only) if i not in self._watched_providers()]
            self._total = len(ids)
            self._register_spot(ids, started)
            return iter(ids)
        resolved = self.watch.watched_ids(self.api)
        watched = resolved.ids
        with self.sessions.begin() as session:
            unbaselined = register_watched(session, watched, started)
            if self.watch.everything:  # the register is the watchlist: every location is in it
                watch_every_location(session)
            elif resolved.complete:  # an id is not taken as gone while a provider is unlisted
                mark_unwatched(session, watched, started)
            # Here, not with the providers' fetches: those never run once none is watched.
            mark_unwatched(session, self._watched_providers(), started, kind="provider")
        report.new_in_watchlist = len(unbaselined)
        if unbaselined:
            log.info("watchlist_unbaselined", count=len(unbaselined), kind=kind)
        if self.searches is not None:
            self._plan = self.searches.plan(kind, watched, started)
        self._plan.expect_more = self._expect_more
        if kind == "full":
            # The whole register streams page by page: its first page says how big it is.
            self._total = None if self.watch.everything else len(watched)
            base = full_review_targets(self.watch, self.api, watched, on_total=self._expect)
            return self._counted(self._plan.targets(base))
        assert watermark is not None
        report.feed_window = (watermark, started)
        # Known now: the watched ids to fetch again; the feed's candidates join as it is read.
        wanted = set(watched)
        again = [i for i in retry if self.watch.everything or i in wanted]
        self._total = len(set(again) | set(unbaselined))
        changed = self.api.iter_changes(watermark - self.options.feed_overlap, started)
        changed = self._plan.tap(changed)
        targets = incremental_targets(self.watch, changed, watched, retry, unbaselined)
        return self._counted(self._plan.targets(targets))

    def _register_spot(self, ids: list[str], started: datetime) -> None:
        """Ids a spot check meets first, not in the configured watchlist, are not watched."""
        if self.watch.everything:
            return
        configured = {*self.watch.locations, *self.watch.file_ids}
        with self.sessions.begin() as session:
            register_spot(session, [i for i in ids if i not in configured], started)

    def _expect(self, total: int) -> None:
        """The cycle now expects ``total`` locations in all (a total only grows)."""
        if self._total is None or total > self._total:
            self._total = total
            self.progress.expect(total)

    def _expect_more(self, count: int) -> None:
        self._expect((self._total or 0) + count)

    def _counted(self, targets: Iterator[str]) -> Iterator[str]:
        """The targets, the total never below how many have joined."""
        for joined, location_id in enumerate(targets, start=1):
            if self._total is not None and joined > self._total:
                self._expect(joined)
            yield location_id

    def _watched_providers(self) -> list[str]:
        """The providers whose own ratings are watched (all of ``[watch] providers``)."""
        return list(dict.fromkeys(self.watch.providers)) if self.providers is not None else []

    def _provider_targets(
        self,
        kind: CycleKind,
        only: Iterable[str] | None,
        watermark: datetime | None,
        started: datetime,
    ) -> Iterator[str]:
        """The watched providers this cycle fetches: all of them in a full review; in a poll,
        those in the provider change feed, those whose last fetch failed and those never yet
        seen (a provider just added to the watchlist is fetched by the next cycle)."""
        watched = self._watched_providers()
        if only is not None:
            return iter([i for i in dict.fromkeys(only) if i in watched])
        if not watched or self.providers is None:
            return iter(())
        with self.sessions.begin() as session:
            unbaselined = register_watched(session, watched, started, kind="provider")
            retry = failing_location_ids(session, kind="provider")
        if kind == "full" or watermark is None:
            return iter(watched)
        changed = self.providers.iter_provider_changes(
            watermark - self.options.feed_overlap, started
        )
        return incremental_targets(Watchlist(), changed, watched, retry, unbaselined)

    def _process(
        self,
        targets: Iterator[str],
        report: CycleReport,
        lease: CycleLease,
        keeper: LeaseKeeper,
        observe: Observer | None = None,
    ) -> None:
        batch: list[Gathered] = []
        observe = observe or self.observe
        with ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="fetch") as pool:
            window, singles = self.options.batch_size * 2, self.options.concurrency
            for gathered in pipelined(pool, observe, targets, window, singles):
                if self.stop.is_set() or keeper.lost.is_set():
                    # Queued fetches would only delay the end and spend API quota.
                    pool.shutdown(wait=False, cancel_futures=True)
                    if keeper.lost.is_set():
                        raise self._lost(lease)
                    raise CycleAbandoned("shutting down: cycle abandoned, will run again")
                batch.append(gathered)
                if len(batch) >= self.options.batch_size:
                    self._apply(batch, report, lease)
                    batch = []
            if batch:
                self._apply(batch, report, lease)

    # -- decide and apply ----------------------------------------------------------------

    def _apply(self, batch: list[Gathered], report: CycleReport, lease: CycleLease) -> None:
        # The register is paged while it changes: an id can slide onto the next page and come
        # twice. Two rows for one location in one transaction would fail the whole batch.
        batch = list({g.observation.location_id: g for g in batch}.values())
        # A server may echo a secret in its error body: errors are masked before being stored.
        batch = [_redacted(g, self.redact) for g in batch]
        # The shape watch knows location documents; a provider's is read for its ratings only.
        self._shapes.read([g for g in batch if not _of_provider(g)])
        # The texts of the batch's new reports, read before its transaction opens.
        texts = self.texts.read_for(batch, self._foresee, self.clock.now()) if self.texts else {}
        try:
            items = self._write(batch, report, lease, texts)
        except RecordRejectedError as exc:
            # One location's data the database refuses must not cost the others theirs.
            log.warning("batch_rejected", error=str(exc), locations=len(batch))
            items = [item for g in batch for item in self._write_alone(g, report, lease, texts)]
        for item in items:
            report.count(item.decision)
            if item.decision.outcome == "error":
                report.note_failure(item.decision.state.id, item.decision.state.last_error)
        report.page_errors += sum(1 for g in batch if g.observation.page_error)
        report.events += self._shapes.write(lease)
        self.progress.advanced(report.locations, report.errors)

    def _write(
        self,
        batch: list[Gathered],
        report: CycleReport,
        lease: CycleLease,
        texts: Mapping[str, Reading],
    ) -> list[Applied]:
        now = self.clock.now()
        with self.sessions.begin() as session:
            # Fenced: nothing is written for a cycle another replica has taken over, and a
            # takeover waits for this batch to commit.
            cycles.hold(session, lease)
            known = load_states(session, [g.observation.location_id for g in batch])
            for gathered in batch:  # a document not normalised, where its state has moved
                location_id = gathered.observation.location_id
                self.observe.settle(gathered, known.get(location_id) or LocationState(location_id))
            previous = load_snapshots(session, _needed_snapshots(batch, known))
            items = [self._decide(g, known, previous, now) for g in batch]
            if self.texts is not None:
                self.texts.attach(items, texts)
            # Saved searches judge locations; a provider's own document is no member of one.
            plan = IDLE if any(_of_provider(g) for g in batch) else self._plan
            settled = plan.settle(session, batch, items, self.routes, now)
            events = apply(session, settled.items, cycle_id=lease.cycle_id, now=now, known=known)
            # Routed here, written with the events: the outbox never misses one.
            for event in events:
                outbox.enqueue(session, event, settled.routes(event), now)
            settled.record(session, now)
            if self.texts is not None:
                self.texts.record(
                    session, settled.items, texts, batch, now=now, cycle_id=lease.cycle_id
                )
            cycles.add_counts(session, lease, batch_figures(settled.items, events))
        report.events += events
        return settled.items

    def _write_alone(
        self,
        gathered: Gathered,
        report: CycleReport,
        lease: CycleLease,
        texts: Mapping[str, Reading],
    ) -> list[Applied]:
        try:
            return self._write([gathered], report, lease, texts)
        except RecordRejectedError as exc:
            error = f"could not be stored: {exc}"
            observation = Observation(gathered.observation.location_id, error=error)
            return self._write(
                [Gathered(observation, gathered.fetches, kind=gathered.kind)], report, lease, {}
            )

    def _decide(
        self,
        gathered: Gathered,
        known: dict[str, LocationState],
        previous: dict[int, Any],
        now: datetime,
    ) -> Applied:
        location_id = gathered.observation.location_id
        # An id first met in this cycle (the register, the change feed, --location) entered
        # the watchlist now.
        state = known.get(location_id) or LocationState(
            id=location_id, watched_since=now, kind=gathered.kind
        )
        before = previous.get(state.last_snapshot_id) if state.last_snapshot_id else None
        return process(gathered, state, before, now=now, options=self.options)

    def _foresee(
        self, gathered: Gathered, state: LocationState, before: Snapshot | None, now: datetime
    ) -> list[Event]:
        """The events this fetch will make, foreseen to read their reports' texts first."""
        try:
            observation = gathered.observation
            return decide(state, observation, before, now=now, policy=self.options.policy).events
        except Exception:
            return []  # the write decides again, and records the error for the location

    def _advance_watermark(
        self,
        session: Session,
        only: Iterable[str] | None,
        started: datetime,
        report: CycleReport,
    ) -> None:
        if only is not None:
            return
        # A full review covers everything up to its start; a poll covers its window.
        end = report.feed_window[1] if report.feed_window else started
        set_watermark(session, FEED, end, self.clock.now())


def process(
    gathered: Gathered,
    state: LocationState,
    before: Snapshot | None,
    *,
    now: datetime,
    options: ReviewOptions,
) -> Applied:
    """One location's decision and audit copy. Never raises: whatever a document does to the
    diff or the redaction stays with it, as an error for that location."""
    location_id = gathered.observation.location_id
    policy = options.policy
    try:
        decision = decide(state, gathered.observation, before, now=now, policy=policy)
        raw = None
        if decision.snapshot is not None and options.keep_raw_payload:
            raw = compress_raw(redacted_payload(gathered.body, gathered.document))
    except Exception as exc:
        failed = Observation(location_id, error=f"could not process: {short_error(exc)}")
        return Applied(decide(state, failed, None, now=now, policy=policy), gathered.fetches)
    return Applied(decision, gathered.fetches, raw)


def _of_provider(gathered: Gathered) -> bool:
    return gathered.kind == "provider"


def _assume_alive(_owner: str) -> bool:
    return True


def _redacted(gathered: Gathered, redact: Redactor) -> Gathered:
    for fetch in gathered.fetches:
        fetch.error = redact(fetch.error)
    seen = gathered.observation
    gathered.observation = replace(
        seen, error=redact(seen.error), page_error=redact(seen.page_error)
    )
    return gathered


def _needed_snapshots(batch: list[Gathered], known: dict[str, LocationState]) -> list[int]:
    """Previous snapshots are loaded only where the content hash moved."""
    ids = []
    for gathered in batch:
        state = known.get(gathered.observation.location_id)
        snapshot = gathered.observation.snapshot
        if state is None or state.last_snapshot_id is None or snapshot is None:
            continue
        if snapshot.content_hash() != state.last_hash:
            ids.append(state.last_snapshot_id)
    return ids


def _recorded(kind: CycleKind, only: Iterable[str] | None) -> str:
    """The kind a cycle is recorded as: a check of chosen ids is a spot check."""
    return kind if only is None else SPOT
