"""``SimulatedCqc``: the simulated register, its change feed, faults and request handling."""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from monitor.sim import assessments, inspections, providers, registrations, routes, search, wire
from monitor.sim.faults import Faults
from monitor.sim.feed import ChangeFeed
from monitor.sim.inspections import iso_date
from monitor.sim.population import Population
from monitor.sim.reports import ReportShelf
from monitor.sim.reshape import Reshape
from monitor.sim.script import Step, Timeline
from monitor.sim.server import RunningServer, start

Doc = dict[str, Any]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SimulatedCqc:
    """A CQC Syndication API (and optionally website) over a ``Population``.

    Mutations record a change-feed entry stamped by ``clock`` and invalidate cached bodies.
    Use ``handle`` directly, or ``serve`` for a real HTTP server.
    """

    def __init__(
        self,
        population: Population,
        *,
        subscription_key: str = "sim-key",
        web_pages: bool = False,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.population = population
        self.subscription_key = subscription_key
        self.web_pages = web_pages
        self.clock = clock
        self.faults = Faults()
        self.stats = wire.Stats()
        self.requests = wire.RequestLog()
        self.feed = ChangeFeed()
        self.timeline: Timeline[SimulatedCqc] = Timeline(self)
        self._lock = threading.RLock()
        self._links = random.Random(0)  # report link ids, reproducible run to run
        self.index = search.SearchIndex(population)
        self.reports = ReportShelf(population)

    # --- mutations --------------------------------------------------------------------------

    @contextmanager
    def _editing(self, location_id: str) -> Iterator[Doc]:
        with self._lock:
            doc = self.population.edit(location_id)
            try:
                yield doc
            finally:
                self.population.changed(location_id)
                self.reports.note(location_id)
                self.feed.record(self.clock(), location_id)

    def update(self, location_id: str, mutate: Callable[[Doc], None]) -> None:
        """Apply ``mutate`` to the location's document (in place)."""
        with self._editing(location_id) as doc:
            mutate(doc)

    def set_rating(
        self,
        location_id: str,
        question: str,
        rating: str,
        *,
        report_date: dt.date | str,
        service: str | None = None,
    ) -> str:
        """Publish one rating ("Overall" or a key question); returns the report link id."""
        return self.set_ratings(
            location_id, {question: rating}, report_date=report_date, service=service
        )

    def set_ratings(
        self,
        location_id: str,
        ratings: Mapping[str, str],
        *,
        report_date: dt.date | str,
        service: str | None = None,
    ) -> str:
        """Publish several ratings in one report (one change); returns the report link id.

        A report dated ``report_date`` is reused; otherwise a new report is added and the
        previous current rating moves to historicRatings.
        """
        day = iso_date(report_date)
        with self._editing(location_id) as doc:
            return inspections.set_ratings(doc, dict(ratings), day, service, self._new_link)

    def assess(
        self,
        location_id: str,
        *,
        overall: str,
        key_questions: Mapping[str, str],
        published: dt.date | str,
        group: str | None = None,
        narrative: str | None = None,
        report: bool = False,
    ) -> str:
        """Publish a Single Assessment Framework rating (the previous one turns "Historic").

        Social care locations get it as their service group's rating with ``overall``
        empty, as CQC publishes it; returns the assessment plan id. ``narrative``: the
        assessment's HTML summary (the item's ``narrative``); ``report``: its report is
        published in ``reports[]`` too, under the plan id, with text at ``/reports/{id}``.
        """
        plan_id = self._new_link()
        with self._editing(location_id) as doc:
            assessments.assess(
                doc,
                published=iso_date(published),
                overall=overall,
                key_questions=key_questions,
                plan_id=plan_id,
                group=group,
                narrative=narrative,
            )
            if report:
                day = iso_date(published)
                visit = assessments.assessed_on(doc, plan_id) or day
                inspections.add_report(doc, plan_id, day, visit, "Location")
        return plan_id

    def add_report(
        self,
        location_id: str,
        *,
        report_date: dt.date | str,
        first_visit_date: dt.date | str,
        report_type: str | None = "Location",
    ) -> str:
        """Publish an inspection report without changing ratings; returns its link id."""
        link = self._new_link()
        with self._editing(location_id) as doc:
            visit = iso_date(first_visit_date)
            inspections.add_report(doc, link, iso_date(report_date), visit, report_type)
        return link

    # --- providers rated as a whole ------------------------------------------------------------

    @contextmanager
    def _editing_provider(self, provider_id: str) -> Iterator[Doc]:
        with self._lock:
            try:
                yield self.population.edit_provider(provider_id)
            finally:
                self.reports.note_provider(provider_id)
                self.population.provider_changes.record(self.clock(), provider_id)

    def make_trust(self, provider_id: str, *, name: str | None = None) -> None:
        """The provider reads as an NHS trust (type, ownership; and a new name if given)."""
        with self._editing_provider(provider_id) as doc:
            doc.update(providers.NHS_TRUST, **({"name": name} if name else {}))

    def rate_provider(
        self, provider_id: str, ratings: Mapping[str, str], *, report_date: dt.date | str
    ) -> str:
        """Publish a provider's own ratings ("Overall", key questions, "Use of resources") in
        one report of type ``Provider`` (a provider change-feed entry); returns its link id."""
        with self._editing_provider(provider_id) as doc:
            return providers.rate(doc, ratings, iso_date(report_date), self._new_link)

    def add_provider_report(
        self, provider_id: str, *, report_date: dt.date | str, first_visit_date: dt.date | str
    ) -> str:
        """Publish a provider-level report without new ratings; returns its link id."""
        link = self._new_link()
        with self._editing_provider(provider_id) as doc:
            day, visit = iso_date(report_date), iso_date(first_visit_date)
            inspections.add_report(doc, link, day, visit, "Provider")
        return link

    def inherit_provider_rating(
        self,
        provider_id: str,
        question: str,
        rating: str,
        *,
        predecessor: str,
        report_date: dt.date | str,
    ) -> None:
        """A key question carried over from a predecessor registration (``organisationId``)."""
        with self._editing_provider(provider_id) as doc:
            providers.inherit(doc, question, rating, predecessor, iso_date(report_date))

    def set_report_text(
        self, link_id: str, *, excerpts: tuple[str, ...] = (), text: str | None = None
    ) -> None:
        """What ``/reports/{link_id}`` serves from now on: these real excerpts (``01a`` …
        ``05c``) laid out as a PDF extract, or exactly ``text`` (an oversized or hostile
        one). Without a choice a report reads like its rating."""
        self.reports.choose(link_id, excerpts=excerpts, text=text)

    def report_text(self, link_id: str) -> str | None:
        """The text ``Accept: text/plain`` gets for a report; None for an unknown link."""
        with self._lock:
            return self.reports.text(link_id)

    def deregister(self, location_id: str, date: dt.date | str) -> None:
        day = iso_date(date)

        def mutate(doc: Doc) -> None:
            doc["registrationStatus"] = "Deregistered"
            inspections.place(doc, "deregistrationDate", day, ("registrationDate",))

        self.update(location_id, mutate)

    def remove(self, location_id: str) -> None:
        """Drop the location: its id then answers 404 (and it is in the change feed)."""
        with self._lock:
            self.population.remove(location_id)
            self.feed.record(self.clock(), location_id)

    def add_location(self, doc: Doc, *, provider_name: str | None = None) -> None:
        """Register a new location given as a full document (copied)."""
        with self._lock:
            self.population.add(copy.deepcopy(doc), provider_name=provider_name)
            self.reports.note(doc["locationId"])
            self.feed.record(self.clock(), doc["locationId"])

    def register_care_home(
        self,
        *,
        name: str,
        local_authority: str,
        region: str,
        registered: dt.date | str,
        location_id: str | None = None,
        provider_id: str = "1-102642938",
        **place: str,
    ) -> str:
        """A new care home joins the register, not yet rated (a feed entry); returns its id.

        ``place``: ``constituency``, ``postal_code``, ``town`` (see ``registrations.care_home``).
        """
        with self._lock:
            location_id = location_id or f"1-{self._links.randrange(10**10, 10**11)}"
            doc = registrations.care_home(
                location_id,
                name=name,
                provider_id=provider_id,
                local_authority=local_authority,
                region=region,
                registered=iso_date(registered),
                **place,
            )
            self.add_location(doc)
        return location_id

    def move(
        self,
        location_id: str,
        *,
        local_authority: str,
        region: str | None = None,
        constituency: str | None = None,
        postal_code: str | None = None,
    ) -> None:
        """The location now lies in another local authority (a feed entry)."""
        with self._editing(location_id) as doc:
            registrations.move(
                doc,
                local_authority=local_authority,
                region=region,
                constituency=constituency,
                postal_code=postal_code,
            )

    def reshape(
        self,
        *,
        add: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
        locations: Iterable[str] | None = None,
        feed: bool = False,
    ) -> None:
        """CQC changes the shape of its location documents (every one, or ``locations``):
        keys added (path → value, see ``sim.reshape``), keys dropped. Without notice by
        default: no change-feed entry, so a full review reads it first; ``feed=True`` lists
        every reshaped location in the change feed as well."""
        only = frozenset(locations) if locations is not None else None
        change = Reshape(dict(add or {}), tuple(drop), only)
        with self._lock:
            self.population.reshape(change)
            if feed:
                for location_id in self.population.ids():
                    if change.applies_to(location_id):
                        self.feed.record(self.clock(), location_id)

    def introduce_label(
        self,
        location_id: str,
        label: str = "Exceptional",
        *,
        question: str = "Overall",
        published: dt.date | str,
    ) -> str:
        """A rating label CQC never used before (``label`` for ``question``), published as a
        new assessment; every other rating of the location stays as it is. Returns the
        assessment plan id."""
        doc = self.document(location_id)
        overall = doc.get("currentRatings", {}).get("overall", {})
        ratings = {k["name"]: k["rating"] for k in overall.get("keyQuestionRatings", [])}
        ratings["Overall"] = overall.get("rating", "Good")
        ratings[question] = label
        overall_rating = ratings.pop("Overall")
        return self.assess(
            location_id, overall=overall_rating, key_questions=ratings, published=published
        )

    def serve_raw(self, location_id: str, body: bytes | None) -> None:
        """From now on answer the location's API request with exactly ``body`` (a hostile or
        broken document, byte for byte); None goes back to its document. A feed entry."""
        with self._lock:
            self.population.serve_raw(location_id, body)
            self.feed.record(self.clock(), location_id)

    def touch(self, location_id: str) -> None:
        """A change-feed entry without any change, as CQC's feed sometimes has."""
        with self._lock:
            if location_id not in self.population:
                raise KeyError(location_id)
            self.feed.record(self.clock(), location_id)

    def add_data_review(self, location_id: str, date: dt.date | str) -> None:
        """A monthly data review: website timeline only, no API change, no feed entry."""
        with self._lock:
            self.population.add_review(location_id, iso_date(date))

    def document(self, location_id: str) -> Doc:
        """A copy of the location's current document."""
        with self._lock:
            return self.population.document(location_id)

    def prerender(self, location_ids: Iterable[str] | None = None) -> int:
        """Render API bodies ahead of requests (see ``Population.prerender``)."""
        with self._lock:
            return self.population.prerender(location_ids)

    def _new_link(self) -> str:
        with self._lock:
            return inspections.new_link_id(self._links)

    # --- scripted timeline ------------------------------------------------------------------

    def schedule(self, steps: list[Step[SimulatedCqc]]) -> None:
        self.timeline.schedule(steps)

    def advance(self) -> Step[SimulatedCqc] | None:
        return self.timeline.advance()

    def advance_to(self, step: int | str) -> list[Step[SimulatedCqc]]:
        return self.timeline.advance_to(step)

    # --- requests ---------------------------------------------------------------------------

    def handle(self, target: str, headers: Mapping[str, str]) -> wire.Response:
        """Answer ``GET target`` (path and query) with these request headers."""
        parts = urlsplit(target)
        pairs = parse_qsl(parts.query)
        query = dict(pairs)
        where = routes.classify(parts.path)
        self.requests.record(where.kind, where.location_id)
        try:
            lowered = {k.lower(): v for k, v in headers.items()}
            response = self._respond(where, query, lowered, search.filters_of(pairs))
        except Exception as problem:  # a simulator bug must still look like a server error
            response = wire.error(500, f"{type(problem).__name__}: {problem}")
        self.stats.record(where.kind, response.status)
        return response

    def _respond(
        self,
        where: routes.Target,
        query: dict[str, str],
        headers: dict[str, str],
        filters: search.Filters,
    ) -> wire.Response:
        delay = self.faults.delay_for(where.path)
        if where.is_api:
            key = headers.get("ocp-apim-subscription-key") or query.get("subscription-key")
            if key != self.subscription_key:
                return replace(wire.unauthorised(bool(key)), delay=delay)
        elif where.kind != "web" or not self.web_pages:
            return wire.error(404)
        fault = self.faults.take(where.path, where.location_id)
        if fault is not None and fault.action == "status":
            return replace(wire.error(fault.status, retry_after=fault.retry_after), delay=delay)
        endless = fault is not None and fault.action == "endless" and where.kind in routes.LISTS
        if endless:
            query = {**query, "page": "1"}
        with self._lock:
            if where.kind == "web":
                response = routes.web_page(where, self.population)
            elif where.kind == "report":
                response = self.reports.response(where.ident or "", headers.get("accept", ""))
            else:
                listed = None
                if filters and where.kind == "locations":
                    listed = self.index.matching(filters)
                response = routes.answer(where, self.population, self.feed, query, listed)
        if endless and fault is not None and response.status == 200:
            response = wire.claim_pages(response, fault.pages)
        if fault is not None and fault.action == "hang":
            delay += fault.seconds
        if fault is not None and fault.action in ("dribble", "dribble_body"):
            body_only = fault.action == "dribble_body"
            response = replace(response, dribble=fault.seconds, dribble_head=not body_only)
        if fault is not None and fault.action == "malformed":
            response = replace(response, body=response.body[: len(response.body) // 2])
        return replace(response, delay=delay)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
        """Start a threaded HTTP server in the background; stop it with ``.stop()``."""
        return start(self, host, port)
