"""Saved searches in the review cycle: which ids a cycle adds for them, and resolution.

A full review asks the API for every search's locations (paged, streamed: only the ids the
cycle must remember are kept) and fetches them with the watchlist; a daily poll also fetches
the change feed's ids that are not watched yet. Each fetched document is then judged by the
domain's one matching rule (``monitor.services.membership``): the API finds candidates, the
document decides, so the monthly review and the daily poll can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain
from typing import Protocol

import structlog
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.search import Search
from monitor.domain.search_health import after_failure, after_resolution
from monitor.errors import AuthenticationError, SourceError
from monitor.services.membership import Plan, SearchJudge, SearchOutcome, stamp
from monitor.store.memberships import (
    load_health,
    mark_resolved,
    member_ids,
    save_health,
    sync_searches,
)

log = structlog.get_logger(__name__)


class SearchSource(Protocol):
    """The parts of the CQC API that resolve a saved search."""

    def iter_search(
        self,
        filters: Mapping[str, Sequence[str]],
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[str]: ...

    def count_search(self, filters: Mapping[str, Sequence[str]]) -> int: ...

    def provider_location_ids(self, provider_id: str) -> list[str]: ...


class SearchWatch:
    """The configured saved searches, bound to the API and the store."""

    def __init__(
        self,
        searches: Sequence[Search],
        *,
        api: SearchSource,
        sessions: sessionmaker[Session],
        everything: bool = False,
    ) -> None:
        self.searches = tuple(searches)
        self.api = api
        self.sessions = sessions
        self.everything = everything  # the whole register is watched (and walked) too

    @property
    def names(self) -> list[str]:
        return [search.name for search in self.searches]

    def member_ids(self, names: Sequence[str] | None = None) -> list[str]:
        """Locations that belong to a configured search (or to these): they are watched
        like listed ids."""
        with self.sessions() as session:
            return member_ids(session, self.names if names is None else names)

    def plan(self, kind: str, watched: Sequence[str], started: datetime) -> CyclePlan:
        with self.sessions.begin() as session:
            states = sync_searches(session, self.searches, started)
        # Every cycle asks again for a search never resolved, or whose last resolution
        # failed (as a failing location is fetched again by every cycle).
        due = [s for s in self.searches if not states[s.name].resolved or states[s.name].failing]
        # The register walk of a full review sees every location: nothing to ask the API.
        walked = self.everything and kind == "full"
        resolve = [] if walked else list(self.searches if kind == "full" else due)
        judge = SearchJudge(self.searches, states, watched=None if self.everything else watched)
        return CyclePlan(self, judge, resolve, walked=walked, full=kind == "full")


class CyclePlan(Plan):
    """One cycle's share of the searches: extra targets, then judgement of what was fetched."""

    def __init__(
        self,
        watch: SearchWatch,
        judge: SearchJudge,
        resolve: list[Search],
        *,
        walked: bool,
        full: bool,
    ) -> None:
        super().__init__(judge)
        self.watch = watch
        self.resolve = resolve
        self.resolved: list[str] = watch.names if walked else []
        self.failures: dict[str, str] = {}  # search → why the API could not list it
        self.walked = walked
        self.full = full
        self._feed: dict[str, None] = {}  # change-feed ids not watched yet

    def tap(self, changed: Iterator[str]) -> Iterator[str]:
        """Pass the change feed through, noting the ids nobody watches yet."""
        for location_id in changed:
            if not self.judge.is_watched(location_id):
                self._feed[location_id] = None
            yield location_id

    def targets(self, base: Iterator[str]) -> Iterator[str]:
        """``base`` (the watchlist's targets), then the feed's unwatched ids, then the ids the
        API lists for the searches being resolved; each once."""
        if self.walked:
            yield from base  # the register is streamed: never remembered here
            return
        # Remembered: what the watched set does not already account for. A full review's
        # base is the whole watchlist, so only the ids beyond it are kept.
        seen: set[str] = set()
        for location_id in base:
            if not self.full:
                seen.add(location_id)
            yield location_id
        for location_id in chain(self._feed_ids(), self._resolutions()):
            if location_id in seen or (self.full and self.judge.is_watched(location_id)):
                continue
            seen.add(location_id)
            self.judge.note_target(location_id)
            yield location_id

    def finish(self, session: Session, now: datetime, failing_after: int) -> SearchOutcome:
        """Record which searches were resolved, and each attempted search's failure streak:
        its monitor_failing or monitor_recovered, if this cycle brings one."""
        mark_resolved(session, self.resolved, now)
        attempted = [*self.resolved, *self.failures]
        outcome = SearchOutcome(failed=len(self.failures))
        streaks = []
        for health in load_health(session, attempted).values():
            error = self.failures.get(health.name)
            if error is None:
                streak, events = after_resolution(health, detected_at=stamp(now) or "")
            else:
                streak, events = after_failure(
                    health,
                    error,
                    now=now,
                    failing_after=failing_after,
                    detected_at=stamp(now) or "",
                )
            streaks.append(streak)
            outcome.events += [(health.name, event) for event in events]
        save_health(session, streaks)
        log.info(
            "searches_settled",
            resolved=self.resolved,
            unresolved=sorted(self.failures),
            **self.judge.counts(),
        )
        return outcome

    def _feed_ids(self) -> Iterator[str]:
        # Read when ``base`` is exhausted, and so is the feed it filtered.
        yield from list(self._feed)

    def _resolutions(self) -> Iterator[str]:
        for search in self.resolve:
            try:
                yield from self._listed(search)
            except AuthenticationError:
                raise
            except SourceError as exc:
                # One search the API cannot list now must not cost the rest of the cycle: it
                # is counted, its members stay watched, and the next cycle asks again.
                log.error("search_unavailable", search=search.name, error=str(exc))
                self.failures[search.name] = str(exc)
                continue
            self.resolved.append(search.name)
            # Members the API no longer lists are judged too: they may have left (or the
            # search's filters changed since they joined).
            yield from self.watch.member_ids([search.name])

    def _listed(self, search: Search) -> Iterator[str]:
        api = self.watch.api
        if search.providers():
            for provider in search.providers():
                yield from api.provider_location_ids(provider)
            return
        # A full review's base already counted the search's known members.
        known = len(self.watch.member_ids([search.name])) if self.full else 0

        def listed(total: int) -> None:
            self.expect_more(max(0, total - known))

        yield from api.iter_search(search.api_filters(), on_total=listed)


def count_matches(api: SearchSource, search: Search) -> int:
    """How many locations a search matches now, by the API: the ``total`` of one request.
    For a search by provider, the provider's locations (one request per provider), before
    the other filters, which only a location's own document can answer."""
    if search.providers():
        return len({i for p in search.providers() for i in api.provider_location_ids(p)})
    return api.count_search(search.api_filters())
