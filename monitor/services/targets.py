"""Which locations a cycle fetches: the watchlist, the change feed and retries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from monitor.services.ports import LocationSource


@dataclass(frozen=True)
class Watchlist:
    locations: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    everything: bool = False  # the whole register
    file_ids: tuple[str, ...] = field(default=())

    def explicit_ids(self, source: LocationSource) -> list[str]:
        """Configured ids, file ids and every location of the watched providers, in order."""
        ids = dict.fromkeys((*self.locations, *self.file_ids))
        for provider in self.providers:
            ids.update(dict.fromkeys(source.provider_location_ids(provider)))
        return list(ids)


def full_review_targets(
    watch: Watchlist, source: LocationSource, retry: Iterable[str]
) -> Iterator[str]:
    if watch.everything:
        # Streamed page by page: the register is ~119,000 ids and is never held in memory.
        yield from source.iter_register()
        return
    yield from _unique(watch.explicit_ids(source), retry)


def incremental_targets(
    watch: Watchlist, changed: Iterable[str], source: LocationSource, retry: Iterable[str]
) -> Iterator[str]:
    """Changed ids that we watch, then the ids whose last fetch failed."""
    retry_ids = list(retry)
    if watch.everything:
        yield from _unique(changed, retry_ids)
        return
    watched = set(watch.explicit_ids(source))
    yield from _unique((i for i in changed if i in watched), retry_ids)


def _unique(*sources: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for source in sources:
        for location_id in source:
            if location_id not in seen:
                seen.add(location_id)
                yield location_id
