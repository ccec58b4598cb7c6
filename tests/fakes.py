"""Fakes of our own small ports (STYLE habit 3): no library is mocked."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.errors import NotFoundError
from monitor.sinks.base import Alert, Digest, SendOutcome, SinkConfig
from monitor.sources.base import FetchResult


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 29, 7, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class FakeCqc:
    """An in-memory LocationSource: documents by id, a change feed, providers, failures."""

    def __init__(self, documents: dict[str, Any] | None = None) -> None:
        self.documents: dict[str, Any] = dict(documents or {})
        self.providers: dict[str, list[str]] = {}
        self.changed: list[str] = []
        self.errors: dict[str, str] = {}
        self.malformed: set[str] = set()
        self.fetched: list[str] = []
        self.windows: list[tuple[datetime, datetime]] = []
        self.closed = False

    def fetch_location(self, location_id: str) -> FetchResult:
        self.fetched.append(location_id)
        url = f"fake://locations/{location_id}"
        if location_id in self.errors:
            return FetchResult("error", url, http_status=503, error=self.errors[location_id])
        if location_id in self.malformed:
            return FetchResult("error", url, http_status=200, error="malformed JSON: line 1")
        if location_id not in self.documents:
            return FetchResult("gone", url, http_status=404, error="not found")
        body = json.dumps(self.documents[location_id]).encode()
        data = json.loads(body)
        return FetchResult("ok", url, http_status=200, size=len(body), body=body, data=data)

    def provider_location_ids(self, provider_id: str) -> list[str]:
        if provider_id not in self.providers:
            raise NotFoundError(f"provider {provider_id} not found", http_status=404)
        return list(self.providers[provider_id])

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        if on_total is not None:
            on_total(len(self.documents))
        yield from self.documents

    def iter_changes(
        self, start: datetime, end: datetime, on_total: Callable[[int], None] | None = None
    ) -> Iterator[str]:
        self.windows.append((start, end))
        yield from self.changed

    def close(self) -> None:
        self.closed = True


class RecordingSink:
    """A sink that records what it was asked to send and answers as scripted."""

    def __init__(
        self, name: str, outcomes: Sequence[str] = (), config: SinkConfig | None = None
    ) -> None:
        self.name = name
        self.config = config or SinkConfig(name=name, type="console")
        self.batches: list[list[Alert]] = []
        self.digests: list[Digest] = []
        self.script = list(outcomes)  # "ok", "fail", "dead", "gone"; then always ok

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        self.batches.append(list(alerts))
        how = self.script.pop(0) if self.script else "ok"
        return [self._outcome(a.delivery_id, how) for a in alerts]

    def send_digest(self, digest: Digest) -> SendOutcome:
        self.digests.append(digest)
        return self._outcome(digest.digest_id, self.script.pop(0) if self.script else "ok")

    @staticmethod
    def _outcome(delivery_id: int, how: str) -> SendOutcome:
        return SendOutcome(
            delivery_id,
            ok=how == "ok",
            error=None if how == "ok" else f"scripted {how}",
            permanent=how in {"dead", "gone"},
            disable_sink=how == "gone",
        )

    @property
    def sent_event_ids(self) -> list[str]:
        return [a.event.id for batch in self.batches for a in batch]


class CountingLimiter:
    """A process-local rate limit (``Limiter``) that lets everything through and counts."""

    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self) -> None:
        self.acquired += 1


class FakeReportTexts:
    """A ReportTextSource: texts by report URI, failures, a delay, and the URIs asked for."""

    def __init__(self, texts: dict[str, str] | None = None, *, delay: float = 0.0) -> None:
        self.texts = dict(texts or {})
        self.statuses: dict[str, int] = {}
        self.delay = delay
        self.asked: list[str] = []

    def fetch_text(self, report_uri: str) -> FetchResult:
        self.asked.append(report_uri)
        if self.delay:
            time.sleep(self.delay)
        url = f"fake://api{report_uri}"
        if report_uri in self.statuses:
            status = self.statuses[report_uri]
            kind: Any = "gone" if status == 404 else "error"
            return FetchResult(kind, url, http_status=status, error=f"HTTP {status} from {url}")
        if report_uri not in self.texts:
            return FetchResult("gone", url, http_status=404, error=f"HTTP 404 from {url}")
        body = self.texts[report_uri].encode()
        return FetchResult("ok", url, 200, 1.0, len(body), body=body, data=self.texts[report_uri])

    def close(self) -> None:
        pass
