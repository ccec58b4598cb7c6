"""Gather step for one location: fetch the API document (and the website page), parse them.

Runs on worker threads; never raises for per-location problems.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.domain.decide import Observation
from monitor.errors import AuthenticationError, MalformedResponseError, short_error
from monitor.services.ports import Clock, LocationSource, PageSource
from monitor.sources.api_document import parse_location
from monitor.sources.base import FetchResult
from monitor.store.repository import FetchLog


@dataclass(slots=True)
class Gathered:
    observation: Observation
    fetches: list[FetchLog]
    document: Any = None  # the decoded API document, for the raw audit copy
    body: bytes | None = None  # the same document as received


class Observer:
    def __init__(self, api: LocationSource, web: PageSource | None, clock: Clock) -> None:
        self.api = api
        self.web = web
        self.clock = clock

    def __call__(self, location_id: str) -> Gathered:
        """Never raises for one location's problem: whatever a document does to the parser
        (an overflow, a recursion, an encoding error) is an error for that location alone."""
        started = self.clock.now()
        try:
            return self._observe(location_id)
        except AuthenticationError:
            raise  # the key is refused: every other location would fail the same way
        except Exception as exc:
            error = f"could not read the location: {short_error(exc)}"
            log = FetchLog(location_id, "api", started, None, 0.0, 0, error)
            return Gathered(_failure(location_id, error, None), [log])

    def _observe(self, location_id: str) -> Gathered:
        started = self.clock.now()
        result = self.api.fetch_location(location_id)
        logs = [_log(location_id, "api", started, result)]
        if result.status == "gone":
            # "Removed" is a critical alert: a 404 must be said twice before it is believed.
            started = self.clock.now()
            result = self.api.fetch_location(location_id)
            logs = [_log(location_id, "api", started, result)]
        if result.status == "gone":
            return Gathered(
                Observation(location_id, gone=True, http_status=result.http_status), logs
            )
        if result.status == "error":
            return Gathered(_failure(location_id, result.error, result.http_status), logs)
        try:
            snapshot = parse_location(result.data, expected_id=location_id)
        except MalformedResponseError as exc:
            logs[0].error = f"malformed document: {exc}"
            failure = _failure(location_id, logs[0].error, result.http_status)
            # Kept for the shape watch: a document the parser refuses may be CQC's new shape.
            return Gathered(failure, logs, result.data, result.body)
        if self.web is None:
            return Gathered(
                Observation(location_id, snapshot=snapshot), logs, result.data, result.body
            )
        return self._with_timeline(location_id, snapshot, logs, result)

    def _with_timeline(
        self, location_id: str, snapshot: Any, logs: list[FetchLog], api: FetchResult
    ) -> Gathered:
        assert self.web is not None
        # The page parser (selectolax) loads only where the website is read.
        from monitor.sources.web_page import parse_location_page

        started = self.clock.now()
        page = self.web.fetch_page(location_id)
        log = _log(location_id, "web", started, page)
        logs.append(log)
        if page.status != "ok" or page.body is None:
            log.error = log.error or f"website page unavailable (HTTP {page.http_status})"
        else:
            try:
                parsed = parse_location_page(page.body)
            except MalformedResponseError as exc:
                log.error = f"unrecognisable page: {exc}"
            else:
                timeline = replace(snapshot, timeline=parsed.timeline)
                return Gathered(
                    Observation(location_id, snapshot=timeline), logs, api.data, api.body
                )
        # The page failed, the API did not: its changes must still be reported. The timeline
        # is carried over from the last snapshot (``decide``), so no entry looks new or gone.
        observed = Observation(location_id, snapshot=snapshot, page_error=f"website: {log.error}")
        return Gathered(observed, logs, api.data, api.body)


def _failure(location_id: str, error: str | None, http_status: int | None) -> Observation:
    return Observation(location_id, error=error or "unknown error", http_status=http_status)


def _log(location_id: str, source: str, started: datetime, result: FetchResult) -> FetchLog:
    return FetchLog(
        location_id=location_id,
        source=source,
        fetched_at=started,
        http_status=result.http_status,
        duration_ms=result.elapsed_ms,
        size=result.size,
        error=result.error if result.status == "error" else None,
    )
