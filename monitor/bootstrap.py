"""The one composition root: settings in, a wired application out.

Tests call ``build_app`` with their own clock, sources or sinks; nothing is built at import.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor import resume_collection
from monitor.domain.decide import Policy
from monitor.domain.events import Event
from monitor.redaction import Redactor
from monitor.services import disabled_sinks
from monitor.services.digest_windows import DigestWindows
from monitor.services.dispatcher import Dispatcher, OutcomeListener
from monitor.services.ports import (
    Clock,
    LocationSource,
    PageSource,
    ProviderSource,
    ReportTextSource,
    SystemClock,
)
from monitor.services.progress import Progress
from monitor.services.report_stage import ReportStage
from monitor.services.report_texts import TextOptions, TextReader
from monitor.services.retry import RetryPolicy
from monitor.services.review import ReviewOptions, ReviewService
from monitor.services.routing import route
from monitor.services.searches import SearchSource, SearchWatch
from monitor.services.shape_watch import ShapeWatch
from monitor.services.targets import Watchlist
from monitor.settings.model import Settings, sink_configs
from monitor.settings.sections import ApiSettings, ReportTextSettings
from monitor.sinks.base import Alert, SendOutcome, Sink, SinkConfig
from monitor.sinks.registry import make_sink, sample_event
from monitor.sources.api_client import CqcApiClient
from monitor.sources.attempts import AttemptTally
from monitor.sources.http import HttpGetter, build_http_getter
from monitor.sources.http import RetryPolicy as HttpRetryPolicy
from monitor.sources.ratelimit import Limiter, RateLimiter
from monitor.sources.report_text import ReportTextClient
from monitor.sources.web_client import CqcWebClient
from monitor.store import migrate
from monitor.store.engine import database_errors, make_engine, make_session_factory
from monitor.store.outbox import Route
from monitor.store.queries import locations_of_providers
from monitor.store.rate_buckets import RateBuckets
from monitor.store.retention import prune_fetch_log
from monitor.store.runstate import location_states, owner_alive
from monitor.store.sink_tests import record as record_sink_test
from monitor.web.config import DashboardConfig

if TYPE_CHECKING:
    from monitor.web.serve import Dashboard


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    api: LocationSource
    web: PageSource | None
    sink_configs: list[SinkConfig]
    sinks: dict[str, Sink] = field(default_factory=dict)
    windows: DigestWindows = field(default_factory=lambda: DigestWindows([], "UTC"))
    owner: str = field(default_factory=owner_name)
    redact: Redactor = field(default_factory=Redactor)
    rate_buckets: RateBuckets | None = None
    shapes: ShapeWatch | None = None  # the shape watch of CQC's documents (SPEC 2.1.3)
    # What this process's HTTP attempts to CQC came to, by source (``run`` exports them).
    attempts: AttemptTally = field(default_factory=AttemptTally)
    reports: ReportTextSource | None = None  # report texts, for findings (None: not read)

    @property
    def replicated(self) -> bool:
        return shared_by_replicas(self.engine)

    def routes(self, event: Event, searches: Collection[str] = ()) -> list[Route]:
        """The sinks the event goes to, each at once or held for its digest window."""
        names = route(event, self.sink_configs, searches)
        return self.windows.routes(event, names, self.clock.now())

    def review(
        self, stop: threading.Event | None = None, progress: Progress | None = None
    ) -> ReviewService:
        s = self.settings
        searches = self.search_watch()
        return ReviewService(
            sessions=self.sessions,
            api=self.api,
            web=self.web,
            watch=Watchlist(
                locations=tuple(s.watch.locations),
                providers=tuple(s.watch.providers),
                everything=s.watch.all,
                file_ids=tuple(s.watch_file_ids()),
                known_locations=self.known_locations,
                search_members=searches.member_ids if searches else list,
            ),
            routes=self.routes,
            clock=self.clock,
            options=ReviewOptions(
                concurrency=s.sources.cqc_api.concurrency,
                keep_raw_payload=s.retention.keep_raw_payload,
                feed_overlap=timedelta(minutes=s.sources.cqc_api.change_feed_overlap_minutes),
                policy=Policy(first_seen=s.alerts.first_seen, failing_after=s.alerts.failing_after),
                cycle_lease=timedelta(seconds=s.schedule.cycle_lease_seconds),
                takeover=self.replicated,
            ),
            owner=self.owner,
            stop=stop,
            redact=self.redact,
            alive=owner_alive,
            searches=searches,
            progress=progress,
            shapes=self.shapes,
            texts=self.report_stage(searches),
            providers=self.provider_source(),
        )

    def provider_source(self) -> ProviderSource | None:
        """The watched providers' own documents: the CQC client reads them (a test fake of
        locations alone does not, and its providers then only expand to locations)."""
        if not self.settings.watch.providers or not isinstance(self.api, ProviderSource):
            return None
        return self.api

    def report_stage(self, searches: SearchWatch | None) -> ReportStage:
        """How a cycle reads its new reports' texts ([sources.report_text])."""
        s = self.settings.sources.report_text
        reader = TextReader(
            self.reports,
            options=TextOptions(
                enabled=s.enabled,
                concurrency=self.settings.sources.cqc_api.concurrency,
                cycle_seconds=s.cycle_seconds,
                read_attempts=s.read_attempts,
            ),
            clock=self.clock,
            redact=self.redact,
        )
        names = searches.names if searches is not None else []
        return ReportStage(reader, self.sessions, searches=names)

    def search_watch(self) -> SearchWatch | None:
        """The saved searches, or None when ``[[watch.search]]`` has none."""
        searches = [search.search() for search in self.settings.watch.search]
        if not searches:
            return None
        api = cast(SearchSource, self.api)  # the CQC client; test fakes implement it too
        return SearchWatch(
            searches, api=api, sessions=self.sessions, everything=self.settings.watch.all
        )

    def known_locations(self, providers: Sequence[str]) -> list[str]:
        with self.sessions() as session:
            return locations_of_providers(session, providers)

    def location_states(self) -> dict[str, int]:
        """Tracked locations by state (active, unbaselined, failing, gone)."""
        with self.sessions() as session:
            return location_states(session)

    def dispatcher(self, on_outcome: OutcomeListener | None = None) -> Dispatcher:
        delivery = self.settings.delivery
        return Dispatcher(
            sessions=self.sessions,
            sinks=self.sinks,
            clock=self.clock,
            policy=RetryPolicy(
                horizon=timedelta(hours=delivery.retry_horizon_hours),
                initial_backoff=delivery.initial_backoff_seconds,
                max_backoff=delivery.max_backoff_seconds,
                batch_size=delivery.batch_size,
            ),
            owner=self.owner,
            on_outcome=on_outcome,
            redact=self.redact,
            windows=self.windows,
        )

    def enable_sink(self, name: str) -> disabled_sinks.Enabled | None:
        """Re-enable a sink a 410 disabled (None: it was not); the deliveries the disable
        stopped are due again, unless the sink is no longer configured (nobody to send to).
        For a sink with a digest, those it holds wait for its next window."""
        now = self.clock.now()
        hold = None
        if self.windows.has_digest(name):
            window = self.windows.next_window(name, now)
            hold = (self.windows.held_severities(name), window) if window else None
        with self.sessions.begin() as session:
            return disabled_sinks.enable(session, name, now, requeue=name in self.sinks, hold=hold)

    def test_sink(self, name: str) -> SendOutcome | None:
        """Send the sample alert through one sink and keep the send in ``sink_tests``
        (None: no such sink). The error stored is redacted, as every stored error is."""
        sink = self.sinks.get(name)
        if sink is None:
            return None
        now = self.clock.now()
        event = sample_event(now)
        started = time.monotonic()
        outcome = sink.send([Alert(delivery_id=0, event=event)])[0]
        duration_ms = (time.monotonic() - started) * 1000
        error = self.redact(outcome.error)
        with self.sessions.begin() as session:
            record_sink_test(
                session,
                sink=name,
                sent_at=now,
                ok=outcome.ok,
                duration_ms=duration_ms,
                error=error,
                event=event.to_dict(),
            )
        return replace(outcome, error=error)

    def prune(self) -> int:
        """Apply the fetch-log retention; the rest of the audit trail is kept."""
        with self.sessions.begin() as session:
            return prune_fetch_log(
                session, self.clock.now(), self.settings.retention.fetch_log_days
            )

    def open_dashboard(self, database_url: str | None = None) -> Dashboard:
        """The read-only dashboard over this database (or ``database_url``)."""
        from monitor.web.serve import open_dashboard  # Flask loads only when it is wanted

        return open_dashboard(
            database_url or self.settings.database.url,
            dashboard_config(self.settings),
            now=self.clock.now,
        )

    def prepare_database(self, *, upgrade: bool = True) -> None:
        """Bring the schema to head (``check`` on an empty database upgrades it first).

        With ``upgrade=False`` (read-only commands, ``--no-migrate``) a database that is not
        at head is refused instead.
        """
        with database_errors():
            if not upgrade:
                migrate.require_current(self.engine)
            elif not migrate.is_at_head(self.engine):
                migrate.upgrade(self.engine)

    def close(self) -> None:
        self.api.close()
        if self.reports is not None:
            self.reports.close()
        if self.web is not None:
            self.web.close()
        if self.rate_buckets is not None:
            self.rate_buckets.close()
        self.engine.dispose()


def shared_by_replicas(engine: Engine) -> bool:
    """Several processes may share this database (PostgreSQL); SQLite has one worker."""
    return engine.dialect.name == "postgresql"


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    api: LocationSource | None = None,
    web: PageSource | None = None,
    sinks: Mapping[str, Sink] | None = None,
    engine_options: Mapping[str, Any] | None = None,
    reports: ReportTextSource | None = None,
) -> App:
    """The application; ``api``, ``web`` and ``reports`` replace the clients the settings
    describe (with ``api`` given and ``reports`` not, report texts are not read: a test's
    fake register has no report server behind it)."""
    engine = make_engine(
        settings.database.url,
        idle_transaction_seconds=2 * settings.schedule.cycle_lease_seconds,
        **dict(engine_options or {}),
    )
    configs = sink_configs(settings.sinks)
    built = dict(sinks) if sinks is not None else {c.name: make_sink(c) for c in configs}
    # SQLite is one worker: its own limiter is the whole deployment's.
    buckets = RateBuckets(engine.url) if shared_by_replicas(engine) else None
    sessions = make_session_factory(engine)
    clock = clock or SystemClock()
    windows = DigestWindows(configs, settings.schedule.timezone)
    shapes = ShapeWatch(
        sessions, lambda event: windows.routes(event, route(event, configs), clock.now()), clock
    )
    attempts = AttemptTally()
    # One limiter for every API request, report texts included: the configured rate is a total.
    limiter = rate_limiter(buckets, "api", settings.sources.cqc_api.requests_per_second)
    if reports is None and api is None and settings.sources.report_text.enabled:
        reports = _report_client(settings, limiter, attempts)
    source = api or _api_client(settings, limiter, attempts)
    if isinstance(source, CqcApiClient):
        source.listener = shapes.page  # pages and provider documents have a shape too
    app = App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        api=source,
        web=web if web is not None else _web_client(settings, buckets, attempts),
        sink_configs=configs,
        sinks=built,
        windows=windows,
        redact=Redactor(settings.secrets()),
        rate_buckets=buckets,
        shapes=shapes,
        attempts=attempts,
        reports=reports,
    )
    # Built, with what it runs on imported: the garbage collector is back, if a command's
    # start-up had deferred it.
    resume_collection()
    return app


def rate_limiter(buckets: RateBuckets | None, source: str, rate_per_second: float) -> Limiter:
    """The rate of ``source`` ("api", "web"): on PostgreSQL the deployment's total, shared by
    every process through the database; this process's own when the database is SQLite, or
    for a request the database cannot pace."""
    local = RateLimiter(rate_per_second)
    if buckets is None:
        return local
    return buckets.limiter(source, rate_per_second, fallback=local.acquire)


def dashboard_config(settings: Settings) -> DashboardConfig:
    server = settings.server
    return DashboardConfig(
        auth=server.dashboard_auth,
        users={name: hashed.get_secret_value() for name, hashed in server.dashboard_users.items()},
        token=server.dashboard_token.get_secret_value() if server.dashboard_token else None,
        path_prefix=server.dashboard_path_prefix,
    )


def _api_client(settings: Settings, limiter: Limiter, attempts: AttemptTally) -> CqcApiClient:
    api = settings.sources.cqc_api
    return CqcApiClient(
        _api_getter(settings, api, limiter, attempts),
        base_url=api.base_url,
        subscription_key=api.subscription_key.get_secret_value(),
        partner_code=api.partner_code,
    )


def _report_client(
    settings: Settings, limiter: Limiter, attempts: AttemptTally
) -> ReportTextClient:
    api = settings.sources.cqc_api
    return ReportTextClient(
        _api_getter(settings, settings.sources.report_text, limiter, attempts),
        base_url=api.base_url,
        subscription_key=api.subscription_key.get_secret_value(),
        partner_code=api.partner_code,
    )


def _api_getter(
    settings: Settings,
    bounds: ApiSettings | ReportTextSettings,
    limiter: Limiter,
    attempts: AttemptTally,
) -> HttpGetter:
    """A getter for the API: its concurrency and the deployment's request rate (``limiter``),
    with the timeouts, size cap and retries of what it reads (``bounds``)."""
    api = settings.sources.cqc_api
    return build_http_getter(
        requests_per_second=api.requests_per_second,
        concurrency=api.concurrency,
        timeout_seconds=bounds.timeout_seconds,
        deadline_seconds=bounds.deadline_seconds,
        max_response_bytes=bounds.max_response_bytes,
        retry=HttpRetryPolicy(max_attempts=bounds.max_attempts),
        limiter=limiter,
        on_attempt=attempts.listener("api"),
    )


def _web_client(
    settings: Settings, buckets: RateBuckets | None, attempts: AttemptTally
) -> CqcWebClient | None:
    web = settings.sources.cqc_web
    if not web.enabled:
        return None
    getter = build_http_getter(
        requests_per_second=web.requests_per_second,
        concurrency=settings.sources.cqc_api.concurrency,
        timeout_seconds=web.timeout_seconds,
        deadline_seconds=web.deadline_seconds,
        max_response_bytes=web.max_response_bytes,
        follow_redirects=True,
        limiter=rate_limiter(buckets, "web", web.requests_per_second),
        on_attempt=attempts.listener("web"),
    )
    return CqcWebClient(getter, base_url=web.base_url)
