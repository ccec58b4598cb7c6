"""How far a cycle has got, told to whoever watches: the review service calls a ``Progress``
once at the start and after every batch. The CLI shows a bar; the worker logs and exports it.

A port, so the service depends on no display or metrics library.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def started(self, kind: str, total: int | None) -> None:
        """``total``: how many locations the cycle will fetch, or None when it cannot know."""

    def expect(self, total: int) -> None:
        """The cycle now expects ``total`` locations in all: a listing's first page said how
        many it lists, or more candidates joined. It only grows."""

    def advanced(self, done: int, errors: int) -> None:
        """After a batch: locations done so far in this cycle, and how many of them failed."""

    def finished(self) -> None: ...


class NoProgress:
    def started(self, kind: str, total: int | None) -> None:
        pass

    def expect(self, total: int) -> None:
        pass

    def advanced(self, done: int, errors: int) -> None:
        pass

    def finished(self) -> None:
        pass
