"""How far a paged CQC listing may be walked (the change feed, the register).

A server that keeps claiming more pages must not hold a cycle for ever: the first page's
figures (``total`` records, ``perPage``, ``totalPages``) fix how many pages the walk may take,
with a small margin for a register that grows while it is read, under an absolute cap. A
walk that runs past that, a page that brings nothing new, or a page count that is not a
sane whole number is an error, so the cycle fails and no watermark moves past unread ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.errors import MalformedResponseError, SourceError

# The whole register is about 120 pages of 1,000; no listing needs anywhere near this.
MAX_PAGES = 5_000


class PageWalk:
    """Checks each page of one listing before its ids are used, and says whether to go on."""

    def __init__(self, url: str, per_page: int, max_pages: int = MAX_PAGES) -> None:
        self._url = url
        self._per_page = per_page
        self._max_pages = max_pages
        self._limit = max_pages
        self._previous: frozenset[str] = frozenset()

    def admit(self, page: int, envelope: Mapping[str, Any], ids: Sequence[str]) -> None:
        """Raises when this page shows the listing cannot be trusted to end."""
        total_pages = _count(envelope, "totalPages", self._url)
        if page == 1:
            self._limit = self._page_limit(envelope, total_pages)
        elif ids and self._previous.issuperset(ids):
            raise MalformedResponseError(
                f"page {page} of {self._url} has no id that page {page - 1} did not: "
                "the server is not paging"
            )
        self._previous = frozenset(ids)

    def has_next(self, page: int, envelope: Mapping[str, Any]) -> bool:
        """Whether to fetch page ``page + 1``; raises when that would pass the walk's limit."""
        total_pages = _count(envelope, "totalPages", self._url)
        more = page < total_pages if total_pages is not None else bool(envelope.get("nextPageUri"))
        if more and page >= self._limit:
            raise SourceError(
                f"{self._url} still claims more pages after page {page}: not reading "
                f"more than {self._limit} pages"
            )
        return more

    def _page_limit(self, envelope: Mapping[str, Any], total_pages: int | None) -> int:
        records = _count(envelope, "total", self._url)
        per_page = _count(envelope, "perPage", self._url) or self._per_page
        expected = math.ceil(records / per_page) if records is not None else total_pages
        if expected is None:
            return self._max_pages  # only nextPageUri to go by
        allowed = expected + 2 + expected // 10  # the register may grow while it is read
        if total_pages is not None and total_pages > allowed:
            raise MalformedResponseError(
                f"{self._url} claims {total_pages} pages for {records} records"
            )
        if expected > self._max_pages:
            raise MalformedResponseError(
                f"{self._url} claims {expected} pages; no listing is read past "
                f"{self._max_pages} pages"
            )
        return min(allowed, self._max_pages)


def _count(envelope: Mapping[str, Any], key: str, url: str) -> int | None:
    """A paging figure: absent (or null) is None; anything but a whole number >= 0 is an error."""
    value = envelope.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedResponseError(f"{url}: {key} is not a page count: {value!r:.40}")
    return value
