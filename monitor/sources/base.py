"""What a source hands back for one document fetch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FetchStatus = Literal["ok", "gone", "error"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one location document (API JSON or website page).

    Per-location failures are values, not exceptions, so one bad location never stops a
    cycle. Only failures that doom the whole cycle (a refused subscription key) raise.
    """

    status: FetchStatus
    url: str
    http_status: int | None = None
    elapsed_ms: float = 0.0
    size: int = 0  # bytes received
    body: bytes | None = None  # raw bytes (API JSON or page HTML), when status == "ok"
    data: Any = None  # decoded JSON when the source is the API
    error: str | None = None
