"""The HTTP edge: one pooled session, rate limited, size capped, retried with tenacity.

Everything ``requests`` can raise is translated here into :mod:`monitor.errors`; nothing from
``requests`` escapes this module. Credentials travel in request headers only, never in URLs,
so URLs are safe to log and to put in error messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

import requests
import structlog
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from monitor import __version__
from monitor.errors import (
    AuthenticationError,
    MonitorError,
    NotFoundError,
    RateLimitedError,
    ResponseTooLargeError,
    SourceError,
    TransientSourceError,
)
from monitor.net.adapter import DeadlineAdapter
from monitor.net.deadline import DEADLINE_PER_TIMEOUT, Deadline, within
from monitor.net.retry_after import retry_after_seconds
from monitor.sources.attempts import AttemptListener, attempt_outcome
from monitor.sources.ratelimit import Limiter, RateLimiter

USER_AGENT = f"cqc-monitor/{__version__} (+https://github.com/cqc-monitor)"
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024
_ERROR_DETAIL_BYTES = 4096
_MAX_TEMPLATES = 64  # prepared GETs kept, one per host and set of request headers
# A sequence value repeats the parameter (``region=London&region=East``).
QueryParams = Mapping[str, str | int | Sequence[str]]

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]
    elapsed_ms: float
    url: str


class Getter(Protocol):
    """What a source needs of an HTTP client: :class:`HttpGetter`, or a wrapper of it."""

    def get(
        self,
        url: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before a transient failure is reported (all times in seconds)."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 10.0
    read: float = 30.0  # each read of the socket
    total: float = 60.0  # the whole request: connect, headers and body


class HttpGetter:
    """GET with a shared rate limit, timeouts, a total deadline, a size cap and bounded retries.

    Safe to share between threads: the session's connection pool is sized to ``concurrency``.
    Non-2xx answers raise :mod:`monitor.errors` exceptions; 429, 5xx, timeouts (a read that
    takes too long, or a whole request past its deadline) and connection errors are retried,
    other 4xx never are.
    """

    def __init__(
        self,
        *,
        limiter: Limiter | None = None,
        concurrency: int = 4,
        timeouts: Timeouts | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | None = None,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        follow_redirects: bool = False,
        on_attempt: AttemptListener | None = None,
    ) -> None:
        timeouts = timeouts or Timeouts()
        # Told the outcome of every attempt (the metrics count them; retries are attempts).
        self._on_attempt = on_attempt or _ignore
        # Off for the API: requests would carry the subscription-key header to wherever a
        # redirect points. The website (no credentials) may redirect to its canonical URL.
        self._follow_redirects = follow_redirects
        retry = retry or RetryPolicy()
        self._limiter = limiter or RateLimiter(0)
        self._timeout = (timeouts.connect, timeouts.read)
        self._deadline = timeouts.total
        self._max_bytes = max_response_bytes
        self._session = _pooled_session(concurrency, user_agent)
        self._retrying = Retrying(
            stop=stop_after_attempt(retry.max_attempts),
            wait=_RetryAfterOrBackoff(retry),
            retry=retry_if_exception_type(TransientSourceError),
            sleep=sleep,
            before_sleep=_log_retry,
            retry_error_callback=_give_up,
        )

    def get(
        self,
        url: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        response: HttpResponse = self._retrying.copy()(self._attempt, url, params, headers)
        return response

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpGetter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _attempt(
        self,
        url: str,
        params: QueryParams | None,
        headers: Mapping[str, str] | None,
    ) -> HttpResponse:
        try:
            response = self._request(url, params, headers)
        except Exception as exc:
            self._on_attempt(attempt_outcome(exc))
            raise
        self._on_attempt(attempt_outcome(None))
        return response

    def _request(
        self,
        url: str,
        params: QueryParams | None,
        headers: Mapping[str, str] | None,
    ) -> HttpResponse:
        self._limiter.acquire()
        started = time.perf_counter()
        with within(self._deadline) as deadline:
            try:
                with self._session.get_prepared(
                    url,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=self._follow_redirects,
                ) as resp:
                    final_url = resp.url
                    _raise_for_status(resp, final_url)
                    body = _read_capped(resp, self._max_bytes, final_url)
                    if deadline.expired:  # an answer cut short can still parse as complete
                        raise _deadline_passed(url, deadline)
                    elapsed_ms = (time.perf_counter() - started) * 1000.0
                    headers_copy = CaseInsensitiveDict(resp.headers)
                    return HttpResponse(resp.status_code, body, headers_copy, elapsed_ms, final_url)
            except MonitorError:
                raise
            except Exception as exc:
                _translate(exc, url, deadline)


def build_http_getter(
    *,
    requests_per_second: float,
    concurrency: int,
    timeout_seconds: float,
    deadline_seconds: float | None = None,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    follow_redirects: bool = False,
    limiter: Limiter | None = None,
    on_attempt: AttemptListener | None = None,
) -> HttpGetter:
    """An :class:`HttpGetter` from the plain values of a ``[sources.*]`` config section.

    ``limiter`` is the rate to share (the deployment's, on PostgreSQL); without it, this
    getter paces itself at ``requests_per_second``. ``on_attempt`` hears the outcome of every
    attempt (:mod:`monitor.sources.attempts`). ``sleep`` is used for retry waits only;
    the rate limiter paces against the real clock. Without ``deadline_seconds`` a request may
    take twice ``timeout_seconds`` in all.
    """
    return HttpGetter(
        limiter=limiter or RateLimiter(requests_per_second),
        concurrency=concurrency,
        # A slow handshake is a dead host; give it less time than a slow body.
        timeouts=Timeouts(
            connect=min(10.0, timeout_seconds),
            read=timeout_seconds,
            total=deadline_seconds or DEADLINE_PER_TIMEOUT * timeout_seconds,
        ),
        max_response_bytes=max_response_bytes,
        retry=retry,
        sleep=sleep,
        follow_redirects=follow_redirects,
        on_attempt=on_attempt,
    )


def _ignore(outcome: str) -> None:
    pass


class _Session(requests.Session):
    """A session that looks up proxy, CA-bundle and ``.netrc`` settings once per host, not
    per request, and prepares its GETs without the general merge of ``Session.request``.

    requests reads the whole environment, twice, on every request to find proxies, and looks
    for a ``.netrc`` file (three file-system calls) on every request too; with the merge of
    cookies, hooks and settings, preparing a GET cost as much CPU as sending it and reading the
    answer. A worker's environment does not change while it runs, so the answers are kept
    per scheme and host, and :meth:`get_prepared` builds the request from what it needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], Any] = {}
        self._netrc: dict[tuple[str, str], Any] = {}
        self._templates: dict[tuple[Any, ...], requests.PreparedRequest] = {}

    def get_prepared(
        self,
        url: str,
        *,
        params: QueryParams | None,
        headers: Mapping[str, str] | None,
        timeout: tuple[float, float],
        allow_redirects: bool,
    ) -> requests.Response:
        """``session.get(url, stream=True, ...)``: the same request, the same session state
        (headers, cookies, ``.netrc`` credentials, proxies, CA bundle), sent by
        ``Session.send`` (cookies kept, redirects followed when allowed).

        A GET that follows no redirect and has no response hooks goes straight to the
        transport adapter: ``Session.send`` would only time it, offer it to the (absent) hooks
        and look for the next request of a redirect not followed, which was a tenth of a GET's
        CPU. The cookies a server sets are kept all the same. A redirect's body is no longer
        read to its end (``Session.send`` read it, uncapped, to reuse the connection): the
        answer is an error, and its connection is closed instead."""
        request = self._prepare(url, params, headers)
        settings = self.merge_environment_settings(request.url, {}, True, None, None)
        if allow_redirects or any(request.hooks.values()):
            return self.send(request, timeout=timeout, allow_redirects=allow_redirects, **settings)
        response = self.get_adapter(request.url or url).send(request, timeout=timeout, **settings)
        if "Set-Cookie" in response.headers or "Set-Cookie2" in response.headers:
            _keep_cookies(self.cookies, request, response.raw)
        return response

    def _prepare(
        self, url: str, params: QueryParams | None, headers: Mapping[str, str] | None
    ) -> requests.PreparedRequest:
        """The GET of ``url``. Without cookies or an auth object, which may change from one
        request to the next, it is a copy of the host's prepared GET with only its URL made
        anew: merging and checking the headers again cost half of preparing it."""
        if self.cookies or self.auth:
            return self._prepare_fully(url, params, headers)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, *(headers or {}).items())
        template = self._templates.get(key)
        if template is None:
            template = self._prepare_fully(url, None, headers)
            if len(self._templates) < _MAX_TEMPLATES:
                self._templates[key] = template
        request = template.copy()
        request.prepare_url(url, params or None)
        return request

    def _prepare_fully(
        self, url: str, params: QueryParams | None, headers: Mapping[str, str] | None
    ) -> requests.PreparedRequest:
        request = requests.PreparedRequest()
        request.prepare(
            method="GET",
            url=url,
            headers=self._headers(headers),
            # No empty params: requests spends a runtime protocol check on every mapping.
            params=params or None,
            auth=self.auth or self._netrc_auth(url),
            # A copy, as requests makes: a followed redirect adds to the request's jar.
            cookies=self.cookies.copy() if self.cookies else None,
            hooks=self.hooks,
        )
        return request

    def _headers(self, headers: Mapping[str, str] | None) -> CaseInsensitiveDict[str | bytes]:
        """The session's headers, then the request's (as requests merges them)."""
        merged: CaseInsensitiveDict[str | bytes] = CaseInsensitiveDict(self.headers)
        if headers:
            merged.update(headers)
        return merged

    def _netrc_auth(self, url: str) -> Any:
        if not self.trust_env:
            return None
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._netrc:
            self._netrc[key] = get_netrc_auth(url)
        return self._netrc[key]

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies:  # proxies given by the caller: requests' own merge
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, {}, stream, verify, cert)
            self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


def _keep_cookies(jar: Any, request: requests.PreparedRequest, raw: Any) -> None:
    """What ``Session.send`` does with an answer's cookies (requests leaves it untyped)."""
    extract_cookies_to_jar(jar, request, raw)  # type: ignore[no-untyped-call]


def _pooled_session(concurrency: int, user_agent: str) -> _Session:
    session = _Session()
    # Retries belong to tenacity, so urllib3 must not retry underneath it. One connection
    # more than the fetch threads: a full review reads the register's pages beside them, and
    # a pool that is full drops the extra connection (a new handshake, and a warning, each time).
    adapter = DeadlineAdapter(
        pool_connections=4, pool_maxsize=max(1, concurrency) + 1, max_retries=0
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def _raise_for_status(resp: requests.Response, url: str) -> None:
    status = resp.status_code
    if 200 <= status < 300:
        return
    message = f"HTTP {status} from {url}"
    if 300 <= status < 400:
        raise SourceError(f"{message}: redirect not followed", http_status=status)
    detail = _error_detail(resp)
    if detail:
        message = f"{message}: {detail}"
    retry_after = retry_after_seconds(resp.headers.get("Retry-After"), datetime.now(UTC))
    if status == 429 or (status == 503 and retry_after is not None):
        # A 503 with Retry-After is the server asking us to slow down, like a 429.
        raise RateLimitedError(message, http_status=status, retry_after=retry_after)
    if 500 <= status < 600:
        raise TransientSourceError(message, http_status=status)
    if status in (401, 403):
        raise AuthenticationError(message, http_status=status)
    if status in (404, 410):
        raise NotFoundError(message, http_status=status)
    raise SourceError(message, http_status=status)


def _error_detail(resp: requests.Response) -> str:
    """A short human explanation from an error body (the JSON ``message`` when present)."""
    try:
        raw = next(resp.iter_content(_ERROR_DETAIL_BYTES), b"")
    except requests.RequestException:
        return ""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text = data["message"]
    return " ".join(text.split())[:300]


def _read_capped(resp: requests.Response, limit: int, url: str) -> bytes:
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLargeError(
            f"response from {url} declares {int(declared)} bytes, above the {limit} byte cap",
            http_status=resp.status_code,
        )
    body = bytearray()
    for chunk in resp.iter_content(min(_CHUNK_BYTES, limit + 1)):
        if len(body) + len(chunk) > limit:
            raise ResponseTooLargeError(
                f"response from {url} exceeds the {limit} byte cap", http_status=resp.status_code
            )
        body += chunk
    return bytes(body)


def _translate(exc: Exception, url: str, deadline: Deadline) -> NoReturn:
    if deadline.expired:  # whatever the library raised once its socket was shut
        raise _deadline_passed(url, deadline) from exc
    if not isinstance(exc, requests.RequestException):
        raise exc
    if isinstance(exc, requests.Timeout):
        raise TransientSourceError(f"timed out fetching {url}: {exc}") from exc
    # A read timeout while streaming the body arrives as ConnectionError.
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        raise TransientSourceError(f"connection failed fetching {url}: {exc}") from exc
    raise SourceError(f"request to {url} failed: {exc}") from exc


def _deadline_passed(url: str, deadline: Deadline) -> TransientSourceError:
    return TransientSourceError(f"timed out fetching {url}: {deadline.describe()}")


class _RetryAfterOrBackoff:
    """Wait what the server asked for (capped), else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._cap = policy.retry_after_max
        self._backoff = wait_exponential_jitter(
            multiplier=policy.backoff_base, max=policy.backoff_max, jitter=policy.backoff_base
        )

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return min(exc.retry_after, self._cap)
        return self._backoff(state)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else None
    # Never the call's arguments: request headers carry the subscription key.
    _log.warning(
        "http_retry",
        url=state.args[0] if state.args else None,
        attempt=state.attempt_number,
        wait_seconds=round(wait, 3) if wait is not None else None,
        http_status=getattr(exc, "http_status", None),
        error=str(exc),
    )


def _give_up(state: RetryCallState) -> NoReturn:
    """Re-raise the last transient error, saying how many attempts were made."""
    exc = state.outcome.exception() if state.outcome else None
    if not isinstance(exc, TransientSourceError):  # only transient errors are retried
        raise exc or RuntimeError("retrying stopped without an outcome")
    attempts = state.attempt_number
    _log.warning("http_retries_exhausted", attempts=attempts, error=str(exc))
    message = f"{exc} (gave up after {attempts} attempts)"
    if isinstance(exc, RateLimitedError):
        raise RateLimitedError(
            message, http_status=exc.http_status, retry_after=exc.retry_after
        ) from exc
    raise TransientSourceError(message, http_status=exc.http_status) from exc
