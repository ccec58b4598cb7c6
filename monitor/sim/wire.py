"""Responses, error bodies and request counters of the simulator (no sockets here)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from monitor.sim import resources

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"

_MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds the server waits before answering (latency, hangs)
    dribble: float = 0.0  # seconds between single bytes of the answer (a slow-answer fault)
    dribble_head: bool = True  # the status line and headers too, not only the body


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body)


def claim_pages(response: Response, total_pages: int) -> Response:
    """A list page that claims ``total_pages`` full pages and always a next one (a fault)."""
    envelope = json.loads(response.body)
    envelope.update(
        total=total_pages * envelope["perPage"],
        totalPages=total_pages,
        nextPageUri=f"{envelope['uri']}?page={envelope['page'] + 1}&perPage={envelope['perPage']}",
        lastPageUri=f"{envelope['uri']}?page={total_pages}&perPage={envelope['perPage']}",
    )
    return json_response(envelope, response.status)


def unauthorised(key_given: bool) -> Response:
    """401 as CQC's API gateway sends it; the invalid-key body is the real one, byte for byte."""
    if key_given:
        return Response(401, resources.invalid_key_body())
    return json_response({"statusCode": 401, "message": _MISSING_KEY}, 401)


def error(status: int, detail: str = "", retry_after: float | str | None = None) -> Response:
    """An error as the API answers it (bodies from CQC's OpenAPI document and gateway)."""
    if status == 401:
        return unauthorised(True)
    if status == 429:
        wait = retry_after if retry_after is not None else 1
        payload: dict[str, Any] = {
            "statusCode": 429,
            "message": f"Rate limit is exceeded. Try again in {wait} seconds.",
        }
    else:
        message = {400: "Bad Request", 404: "Not found", 500: "Internal server error."}
        payload = {"message": message.get(status) or HTTPStatus(status).phrase}
        if detail:
            payload["detail"] = detail
    response = json_response(payload, status)
    if retry_after is None:
        return response
    return Response(status, response.body, headers=(("Retry-After", _seconds(retry_after)),))


def _seconds(value: float | str) -> str:
    if isinstance(value, str):
        return value  # an HTTP date, passed through
    return str(int(value)) if float(value).is_integer() else str(value)


class Stats:
    """Requests answered, by path kind and status; safe to read while serving."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()

    def record(self, kind: str, status: int) -> None:
        with self._lock:
            self._counts[kind, status] += 1

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        """Requests of ``kind`` (e.g. "location", "changes", "web") with ``status``; None: any."""
        with self._lock:
            return sum(
                n for (k, s), n in self._counts.items() if kind in (None, k) and status in (None, s)
            )

    def snapshot(self) -> dict[str, dict[int, int]]:
        """{kind: {status: count}}."""
        with self._lock:
            result: dict[str, dict[int, int]] = {}
            for (kind, status), n in sorted(self._counts.items()):
                result.setdefault(kind, {})[status] = n
            return result

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # wall-clock seconds (time.time()), comparable with other processes' clocks
    kind: str  # as Stats counts it: "location", "changes", "web"...
    location_id: str | None


class RequestLog:
    """When each request arrived: the rate a client (or several) really sent.

    Off until ``start()``: the benchmark makes millions of requests and keeps none of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: list[Arrival] | None = None

    def start(self) -> None:
        """Record from now on (what was recorded before is dropped)."""
        with self._lock:
            self._arrivals = []

    def record(self, kind: str, location_id: str | None) -> None:
        if self._arrivals is None:  # the usual case: no lock, no clock
            return
        arrival = Arrival(time.time(), kind, location_id)
        with self._lock:
            if self._arrivals is not None:
                self._arrivals.append(arrival)

    def arrivals(self, kind: str | None = None) -> list[Arrival]:
        """Requests of ``kind`` (None: every kind), in order of arrival."""
        with self._lock:
            recorded = list(self._arrivals or ())
        return [a for a in recorded if kind in (None, a.kind)]
