"""Client for the CQC Syndication API (SPEC §2.1): location documents, providers, paged lists."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from monitor.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    SourceError,
)
from monitor.sources.attempts import AttemptListener
from monitor.sources.base import FetchResult, FetchStatus
from monitor.sources.http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Getter,
    HttpResponse,
    QueryParams,
    RetryPolicy,
    build_http_getter,
)
from monitor.sources.paging import MAX_PAGES, PageWalk
from monitor.sources.ratelimit import Limiter

DEFAULT_BASE_URL = "https://api.service.cqc.org.uk/public/v1"
MAX_PER_PAGE = 1000
_KEY_HEADER = "Ocp-Apim-Subscription-Key"

Params = QueryParams


def fetch_document(
    getter: Getter,
    url: str,
    *,
    decode: Callable[[HttpResponse], Any],
    params: Params | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """Fetch one document as a :class:`FetchResult`; per-document failures become values.

    ``decode`` turns a 2xx response into ``data`` or raises ``MalformedResponseError``.
    :class:`AuthenticationError` propagates: a refused credential dooms every later fetch too.
    """
    started = time.perf_counter()
    try:
        resp = getter.get(url, params=params, headers=headers)
    except AuthenticationError:
        raise
    except SourceError as exc:
        status: FetchStatus = "gone" if isinstance(exc, NotFoundError) else "error"
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return FetchResult(
            status, url, http_status=exc.http_status, elapsed_ms=elapsed_ms, error=str(exc)
        )
    size = len(resp.body)
    try:
        data = decode(resp)
    except MalformedResponseError as exc:
        return FetchResult("error", url, resp.status, resp.elapsed_ms, size, error=str(exc))
    return FetchResult("ok", url, resp.status, resp.elapsed_ms, size, body=resp.body, data=data)


def decode_json_object(resp: HttpResponse) -> dict[str, Any]:
    try:
        data = json.loads(resp.body)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponseError(
            f"malformed JSON from {resp.url}: {exc}", http_status=resp.status
        ) from exc
    if not isinstance(data, dict):
        raise MalformedResponseError(
            f"expected a JSON object from {resp.url}, got {type(data).__name__}",
            http_status=resp.status,
        )
    return data


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC to the second, as the change feed expects.

    Truncating is safe for consecutive windows: one window's end and the next one's start
    are the same instant and truncate to the same second, so no change falls between them.
    """
    if moment.tzinfo is None:
        raise ValueError(f"timestamp must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CqcApiClient:
    """Reads the Syndication API. Thread-safe when its getter (an :class:`HttpGetter`) is."""

    def __init__(
        self,
        getter: Getter,
        *,
        base_url: str = DEFAULT_BASE_URL,
        subscription_key: str,
        partner_code: str | None = None,
        per_page: int = MAX_PER_PAGE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self.getter = getter
        self._base_url = base_url.rstrip("/")
        self._headers = {_KEY_HEADER: subscription_key, "Accept": "application/json"}
        self._partner: dict[str, str | int] = {"partnerCode": partner_code} if partner_code else {}
        self._per_page = per_page
        self._max_pages = max_pages
        # Told of every page and provider document read (kind, decoded document): the shape
        # watch's ear. Location documents reach it through the review cycle instead.
        self.listener: Callable[[str, Any], None] | None = None

    @classmethod
    def create(
        cls,
        *,
        base_url: str = DEFAULT_BASE_URL,
        subscription_key: str,
        partner_code: str | None = None,
        requests_per_second: float = 8.0,
        concurrency: int = 4,
        timeout_seconds: float = 30.0,
        deadline_seconds: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limiter: Limiter | None = None,
        on_attempt: AttemptListener | None = None,
    ) -> CqcApiClient:
        """A client with its own rate-limited getter, from plain configuration values
        (``limiter``: a rate shared beyond this client, see :func:`build_http_getter`)."""
        getter = build_http_getter(
            requests_per_second=requests_per_second,
            concurrency=concurrency,
            timeout_seconds=timeout_seconds,
            deadline_seconds=deadline_seconds,
            max_response_bytes=max_response_bytes,
            retry=retry,
            sleep=sleep,
            limiter=limiter,
            on_attempt=on_attempt,
        )
        return cls(
            getter, base_url=base_url, subscription_key=subscription_key, partner_code=partner_code
        )

    def close(self) -> None:
        self.getter.close()

    def fetch_location(self, location_id: str) -> FetchResult:
        """One location document. Raises only :class:`AuthenticationError`."""
        return self._fetch_document("locations", location_id)

    def fetch_provider(self, provider_id: str) -> FetchResult:
        """One provider document, for its own ratings. Raises only :class:`AuthenticationError`."""
        return self._fetch_document("providers", provider_id)

    def _fetch_document(self, collection: str, organisation_id: str) -> FetchResult:
        try:
            return fetch_document(
                self.getter,
                self._url(collection, organisation_id),
                decode=decode_json_object,
                params=self._partner,
                headers=self._headers,
            )
        except AuthenticationError as exc:
            raise _key_refused(exc) from exc

    def provider_location_ids(self, provider_id: str) -> list[str]:
        """Ids of a provider's locations; raises :class:`NotFoundError` for an unknown provider."""
        data = self._get_json(self._url("providers", provider_id), {})
        self._heard("provider", data)
        ids = data.get("locationIds", [])  # omitted, not empty, when there are none
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise MalformedResponseError(f"provider {provider_id}: locationIds is not a list")
        return list(ids)

    def iter_register(self, on_total: Callable[[int], None] | None = None) -> Iterator[str]:
        """Every location id on the register, fetched page by page as the caller iterates."""
        url = self._url("locations")
        yield from self._iter_ids(url, {}, "locations", _register_id, on_total)

    def iter_search(
        self,
        filters: Mapping[str, Sequence[str]],
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[str]:
        """Ids of the locations ``GET /locations`` lists for these filters, page by page as
        the caller iterates. A filter's several values are sent as a repeated parameter,
        which the API reads as "any of" (one query per search, however many values)."""
        url = self._url("locations")
        yield from self._iter_ids(url, filters, "locations", _register_id, on_total)

    def count_search(self, filters: Mapping[str, Sequence[str]]) -> int:
        """How many locations match these filters now: the ``total`` of a one-item page."""
        data = self._get_json(self._url("locations"), {**filters, "page": 1, "perPage": 1})
        total = data.get("total", data.get("totalPages"))
        if not isinstance(total, int) or isinstance(total, bool):
            raise MalformedResponseError(f"location list without a total: {str(data)[:200]}")
        return total

    def iter_changes(
        self, start: datetime, end: datetime, on_total: Callable[[int], None] | None = None
    ) -> Iterator[str]:
        """Ids of locations changed in ``[start, end)``, each once, page by page; ``on_total``
        hears how many records the feed's first page announces."""
        yield from self._changes("location", start, end, on_total)

    def iter_provider_changes(self, start: datetime, end: datetime) -> Iterator[str]:
        """Ids of providers changed in ``[start, end)`` (``/changes/provider``), each once."""
        yield from self._changes("provider", start, end)

    def _changes(
        self,
        organisation: str,
        start: datetime,
        end: datetime,
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[str]:
        window = {"startTimestamp": format_timestamp(start), "endTimestamp": format_timestamp(end)}
        if window["startTimestamp"] >= window["endTimestamp"]:
            return
        seen: set[str] = set()
        url = self._url("changes", organisation)
        for location_id in self._iter_ids(url, window, "changes", _change_id, on_total):
            if location_id not in seen:
                seen.add(location_id)
                yield location_id

    def _iter_ids(
        self,
        url: str,
        params: Params,
        items_key: str,
        id_of: Callable[[Any], str],
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[str]:
        """Ids page by page; a listing that will not end raises (see :mod:`.paging`).
        ``on_total`` is told the first page's ``total``, when it has one."""
        walk = PageWalk(url, self._per_page, self._max_pages)
        page = 1
        while True:
            data = self._get_json(url, {**params, "page": page, "perPage": self._per_page})
            self._heard("change_page" if items_key == "changes" else "list_page", data)
            items = data.get(items_key, [])
            if not isinstance(items, list):
                raise MalformedResponseError(f"page {page} of {url}: {items_key} is not a list")
            ids = [id_of(item) for item in items]
            walk.admit(page, data, ids)
            total = data.get("total")
            if page == 1 and on_total is not None and isinstance(total, int) and total >= 0:
                on_total(total)
            yield from ids
            if not ids or not walk.has_next(page, data):
                return
            page += 1

    def _heard(self, kind: str, data: dict[str, Any]) -> None:
        if self.listener is not None:
            self.listener(kind, data)

    def _get_json(self, url: str, params: Params) -> dict[str, Any]:
        try:
            resp = self.getter.get(url, params={**params, **self._partner}, headers=self._headers)
        except AuthenticationError as exc:
            raise _key_refused(exc) from exc
        return decode_json_object(resp)

    def _url(self, *segments: str) -> str:
        # Ids come from configuration and feeds; quoting keeps them inside one path segment.
        return "/".join([self._base_url, *(quote(s, safe="") for s in segments)])


def _register_id(item: Any) -> str:
    location_id = item.get("locationId") if isinstance(item, dict) else None
    if not isinstance(location_id, str):
        raise MalformedResponseError(f"register item without a locationId: {item!r:.200}")
    return location_id


def _change_id(item: Any) -> str:
    if not isinstance(item, str):
        raise MalformedResponseError(f"change feed item is not an id: {item!r:.200}")
    return item


def _key_refused(exc: AuthenticationError) -> AuthenticationError:
    return AuthenticationError(
        f"CQC API refused the subscription key: {exc}", http_status=exc.http_status
    )
