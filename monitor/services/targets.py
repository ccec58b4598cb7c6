"""Which locations a cycle fetches: the watchlist, the change feed and retries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import structlog

from monitor.errors import AuthenticationError, SourceError
from monitor.services.ports import LocationSource

log = structlog.get_logger(__name__)

# Location ids the store already knows for these providers.
KnownLocations = Callable[[Sequence[str]], list[str]]


def _nothing_known(_providers: Sequence[str]) -> list[str]:
    return []


def _no_members() -> list[str]:
    return []


@dataclass(frozen=True)
class Watchlist:
    locations: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    everything: bool = False  # the whole register
    file_ids: tuple[str, ...] = ()
    known_locations: KnownLocations = _nothing_known
    # Locations that belong to a saved search now: watched like listed ids.
    search_members: Callable[[], list[str]] = _no_members

    def explicit_ids(self, source: LocationSource) -> Resolved:
        """Configured ids, file ids and every location of the watched providers, in order.

        A provider's locations are those CQC lists now plus those we last saw under it: a
        location that moved to another provider is fetched once more, so the move is reported.
        """
        ids = dict.fromkeys((*self.locations, *self.file_ids))
        complete = True
        for provider in self.providers:
            listed = self._provider_locations(source, provider)
            complete = complete and listed is not None
            ids.update(dict.fromkeys(listed or ()))
        ids.update(dict.fromkeys(self.known_locations(self.providers) if self.providers else ()))
        ids.update(dict.fromkeys(self.search_members()))
        return Resolved(list(ids), complete)

    def watched_ids(self, source: LocationSource) -> Resolved:
        """The ids known up front: with the whole register watched, only the configured ones
        (the register itself is streamed by the cycle, never listed here)."""
        if self.everything:
            return Resolved(list(dict.fromkeys((*self.locations, *self.file_ids))), False)
        return self.explicit_ids(source)

    def _provider_locations(self, source: LocationSource, provider: str) -> list[str] | None:
        """The provider's locations as CQC lists them; None when CQC could not say."""
        try:
            return source.provider_location_ids(provider)
        except AuthenticationError:
            raise
        except SourceError as exc:
            # One unknown or unavailable provider must not stop the whole cycle: its known
            # locations are still checked (they come from the store above).
            log.error("provider_unavailable", provider_id=provider, error=str(exc))
            return None


@dataclass(frozen=True, slots=True)
class Resolved:
    """The watched ids a cycle knows up front. ``complete``: they are the whole watchlist
    (not the register's, streamed later, nor short of a provider CQC could not list)."""

    ids: list[str]
    complete: bool


def full_review_targets(
    watch: Watchlist,
    source: LocationSource,
    watched: Sequence[str],
    on_total: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Every watched location (failing ones included; a failing id no longer watched is not).
    ``on_total``: told the register's size from its first page, when the whole is watched."""
    if watch.everything:
        # Streamed page by page: the register is ~119,000 ids and is never held in memory.
        yield from source.iter_register(on_total=on_total)
        return
    yield from watched


def incremental_targets(
    watch: Watchlist,
    changed: Iterable[str],
    watched: Sequence[str],
    retry: Iterable[str],
    unbaselined: Iterable[str],
) -> Iterator[str]:
    """Changed ids that we watch, the watched ids whose last fetch failed, and the watched
    ids never baselined (new entries: covered by the next poll, not the next monthly review)."""
    retry_ids = list(retry)
    if watch.everything:
        yield from _unique(changed, retry_ids, unbaselined)
        return
    wanted = set(watched)
    yield from _unique(
        (i for i in changed if i in wanted), (i for i in retry_ids if i in wanted), unbaselined
    )


def _unique(*sources: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for source in sources:
        for location_id in source:
            if location_id not in seen:
                seen.add(location_id)
                yield location_id
