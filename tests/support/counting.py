"""Requests counted from outside the client: a getter that wraps the real one."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from monitor.sources.http import Getter, HttpResponse, QueryParams


class CountingGetter:
    """Passes every request to ``inner`` and counts them (thread-safe)."""

    def __init__(self, inner: Getter) -> None:
        self.inner = inner
        self.count = 0
        self._lock = threading.Lock()

    def get(
        self,
        url: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        with self._lock:
            self.count += 1
        return self.inner.get(url, params=params, headers=headers)

    def close(self) -> None:
        self.inner.close()
