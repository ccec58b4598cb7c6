"""A small least-recently-used cache of rendered bodies, bounded by total size in bytes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class BodyCache:
    """Rendered response bodies, evicted oldest-first once ``max_bytes`` is exceeded.

    Not thread-safe on its own: the simulator calls it under its lock.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._bodies)

    def get(self, key: Hashable) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        self.discard(key)
        self._bodies[key] = body
        self.size += len(body)
        while self.size > self.max_bytes and self._bodies:
            _, evicted = self._bodies.popitem(last=False)
            self.size -= len(evicted)

    def discard(self, key: Hashable) -> None:
        body = self._bodies.pop(key, None)
        if body is not None:
            self.size -= len(body)
