"""Gather step for one location: fetch the API document (and the website page), parse them.

Runs on worker threads; never raises for per-location problems.

A full review finds most documents as they were. Normalising one (``parse_location``) and
hashing the result was the largest share of a steady cycle's processing, so each document
read in full leaves the digest of its bytes (:func:`body_digest`) with its location; a
document that comes back with the same bytes, to a location whose last fetch was healthy, is
not normalised again (``Observation.same_body``). Its fetch is still logged and its location
still checked; the shape watch still reads it. The digest covers the monitor's version too,
so a new release reads every document in full once. Not done when the website is read as
well (the snapshot is more than the API document) or for saved searches (their membership
reads each snapshot).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor import __version__
from monitor.domain.decide import LocationState, Observation, settled_on
from monitor.domain.snapshot import Snapshot
from monitor.errors import AuthenticationError, MalformedResponseError, short_error
from monitor.services.ports import Clock, LocationSource, PageSource, ProviderSource
from monitor.sources.api_document import parse_location
from monitor.sources.base import FetchResult
from monitor.sources.provider_document import parse_provider
from monitor.store.repository import FetchLog


@dataclass(slots=True)
class Gathered:
    observation: Observation
    fetches: list[FetchLog]
    document: Any = None  # the decoded API document, for the raw audit copy
    body: bytes | None = None  # the same document as received
    kind: str = "location"  # or "provider": a provider's own document


_SALT = f"cqc-monitor {__version__}\n".encode()


def body_digest(body: bytes) -> str:
    """The digest of a document's bytes, as read by this version of the monitor."""
    return hashlib.blake2b(_SALT + body, digest_size=16).hexdigest()


class Observer:
    def __init__(
        self,
        fetch: Callable[[str], FetchResult],
        parse: Callable[[Any, str], Snapshot],
        web: PageSource | None,
        clock: Clock,
        kind: str = "location",
    ) -> None:
        self.fetch = fetch
        self.parse = parse
        self.web = web
        self.clock = clock
        self.kind = kind
        # Digests of the documents locations were settled on (``settled_bodies``), for the
        # cycle in hand; None: every document is normalised.
        self.settled: Mapping[str, str] | None = None

    @classmethod
    def of_locations(cls, api: LocationSource, web: PageSource | None, clock: Clock) -> Observer:
        """Locations: the API document, and the website page when ``web`` is given."""
        return cls(api.fetch_location, parse_location, web, clock)

    @classmethod
    def of_providers(cls, source: ProviderSource, clock: Clock) -> Observer:
        """The same gathering for providers rated as a whole: their own documents."""
        return cls(source.fetch_provider, parse_provider, None, clock, kind="provider")

    @property
    def digests(self) -> bool:
        """Whether documents are digested: not when the snapshot includes the website."""
        return self.web is None

    def __call__(self, location_id: str) -> Gathered:
        """Never raises for one location's problem: whatever a document does to the parser
        (an overflow, a recursion, an encoding error) is an error for that location alone."""
        started = self.clock.now()
        try:
            gathered = self._observe(location_id)
        except AuthenticationError:
            raise  # the key is refused: every other location would fail the same way
        except Exception as exc:
            error = f"could not read the {self.kind}: {short_error(exc)}"
            log = FetchLog(location_id, "api", started, None, 0.0, 0, error)
            gathered = Gathered(_failure(location_id, error, None), [log])
        gathered.kind = self.kind
        return gathered

    def _observe(self, location_id: str) -> Gathered:
        started = self.clock.now()
        result = self.fetch(location_id)
        logs = [_log(location_id, "api", started, result)]
        if result.status == "gone":
            # "Removed" is a critical alert: a 404 must be said twice before it is believed.
            started = self.clock.now()
            result = self.fetch(location_id)
            logs = [_log(location_id, "api", started, result)]
        if result.status == "gone":
            return Gathered(
                Observation(location_id, gone=True, http_status=result.http_status), logs
            )
        if result.status == "error":
            return Gathered(_failure(location_id, result.error, result.http_status), logs)
        body_hash = None
        if self.digests and result.body is not None:
            body_hash = body_digest(result.body)
            if self.settled is not None and self.settled.get(location_id) == body_hash:
                seen = Observation(location_id, body_hash=body_hash, same_body=True)
                return Gathered(seen, logs, result.data, result.body)
        try:
            snapshot = self.parse(result.data, location_id)
        except MalformedResponseError as exc:
            logs[0].error = f"malformed document: {exc}"
            failure = _failure(location_id, logs[0].error, result.http_status)
            # Kept for the shape watch: a document the parser refuses may be CQC's new shape.
            return Gathered(failure, logs, result.data, result.body)
        if self.web is None:
            seen = Observation(location_id, snapshot=snapshot, body_hash=body_hash)
            return Gathered(seen, logs, result.data, result.body)
        return self._with_timeline(location_id, snapshot, logs, result)

    def settle(self, gathered: Gathered, state: LocationState) -> Gathered:
        """``gathered`` as it may be decided against ``state``: a document left as it came
        (its bytes were those of the document the location was settled on when the cycle
        began) is normalised now if the location's state has moved since."""
        seen = gathered.observation
        if not seen.same_body or settled_on(state, seen.body_hash):
            return gathered
        fetch = gathered.fetches[0]
        try:
            snapshot = self.parse(gathered.document, seen.location_id)
        except MalformedResponseError as exc:
            fetch.error = f"malformed document: {exc}"
            gathered.observation = _failure(seen.location_id, fetch.error, fetch.http_status)
            return gathered
        except Exception as exc:  # as in the fetch thread: an error for this location alone
            error = f"could not read the {self.kind}: {short_error(exc)}"
            gathered.observation = _failure(seen.location_id, error, None)
            return gathered
        gathered.observation = Observation(
            seen.location_id, snapshot=snapshot, body_hash=seen.body_hash
        )
        return gathered

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
