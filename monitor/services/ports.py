"""The small interfaces the services depend on; adapters and test fakes implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from monitor.sources.base import FetchResult


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class LocationSource(Protocol):
    """The CQC Syndication API as the review cycle needs it."""

    def fetch_location(self, location_id: str) -> FetchResult: ...

    def provider_location_ids(self, provider_id: str) -> list[str]: ...

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        """``on_total``: told the listing's own ``total`` once its first page is read."""
        ...

    def iter_changes(
        self, start: datetime, end: datetime, on_total: Callable[[int], None] | None = None
    ) -> Iterator[str]: ...

    def close(self) -> None:
        """Release connections; the application calls it once, when it closes."""


@runtime_checkable
class ProviderSource(Protocol):
    """The API's providers as the watch of their own ratings needs them (SPEC §2.1.2).

    Checkable at run time: a source of locations alone (a test's fake) reads no providers.
    """

    def fetch_provider(self, provider_id: str) -> FetchResult: ...

    def iter_provider_changes(self, start: datetime, end: datetime) -> Iterator[str]: ...


class PageSource(Protocol):
    """The CQC website's location pages."""

    def fetch_page(self, location_id: str) -> FetchResult: ...

    def close(self) -> None: ...


class ReportTextSource(Protocol):
    """The API's text extracts of report PDFs (SPEC §2.3)."""

    def fetch_text(self, report_uri: str) -> FetchResult:
        """The text as ``data`` (str); every failure is a value, never an exception."""
        ...

    def close(self) -> None: ...
