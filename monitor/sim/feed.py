"""The change feed and the paging envelope shared by the list endpoints."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 500


class BadRequest(ValueError):
    """A query the real API answers with 400."""


def aware(moment: datetime) -> datetime:
    """Naive datetimes are read as UTC, like the API reads timestamps without an offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_timestamp(value: str | None, name: str) -> datetime:
    """An ISO 8601 timestamp (``Z``, offsets and 7 fractional digits accepted)."""
    if not value:
        raise BadRequest(f"{name} is required")
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        raise BadRequest(f"{name} is not an ISO 8601 timestamp: {value!r}") from None


def _positive(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if number < 1:
        raise BadRequest(f"{name} must be at least 1")
    return number


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    per_page: int

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Paging:
        """``page`` (default 1) and ``perPage`` (default 500, capped at 1000)."""
        page = _positive(query.get("page"), 1, "page")
        per_page = _positive(query.get("perPage"), DEFAULT_PER_PAGE, "perPage")
        return cls(page, min(per_page, MAX_PER_PAGE))

    def envelope(self, uri: str, key: str, items: Sequence[Any], extra: str = "") -> dict[str, Any]:
        """The real envelope; page URIs are relative to the API base, like CQC's."""
        total = len(items)
        pages = math.ceil(total / self.per_page)

        def link(page: int) -> str:
            return f"{uri}?page={page}&perPage={self.per_page}{extra}"

        start = (self.page - 1) * self.per_page
        return {
            "total": total,
            "firstPageUri": link(1),
            "page": self.page,
            "previousPageUri": link(self.page - 1) if self.page > 1 else None,
            "lastPageUri": link(max(pages, 1)),
            "nextPageUri": link(self.page + 1) if self.page < pages else None,
            "perPage": self.per_page,
            "totalPages": pages,
            key: list(items[start : start + self.per_page]),
            "uri": uri,
        }


def timestamp_query(start: str, end: str) -> str:
    """The timestamps echoed in page URIs, percent-encoded as a client must send them."""
    return f"&startTimestamp={quote(start, safe=':')}&endTimestamp={quote(end, safe=':')}"


class ChangeFeed:
    """(timestamp, location id) entries kept sorted by time. Not thread-safe on its own."""

    def __init__(self) -> None:
        self._times: list[datetime] = []
        self._ids: list[str] = []

    def __len__(self) -> int:
        return len(self._ids)

    def record(self, moment: datetime, location_id: str) -> None:
        index = bisect.bisect_right(self._times, aware(moment))
        self._times.insert(index, aware(moment))
        self._ids.insert(index, location_id)

    def between(self, start: datetime, end: datetime) -> list[str]:
        """Ids changed at ``start`` <= time < ``end``, each once, in order of first change."""
        low = bisect.bisect_left(self._times, aware(start))
        high = bisect.bisect_left(self._times, aware(end))
        return list(dict.fromkeys(self._ids[low:high]))
