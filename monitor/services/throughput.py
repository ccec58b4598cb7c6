"""Throughput helpers of the review cycle: grouped hand-offs to the fetch threads, and a
slower pace for the garbage collector while a cycle runs. Neither changes what a cycle does.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
HANDOFF = 8  # locations per task given to a fetch thread


def pipelined(
    pool: ThreadPoolExecutor,
    work: Callable[[str], T],
    items: Iterator[str],
    window: int,
    singles: int,
) -> Iterator[T]:
    """Results in input order with at most about ``window`` fetches queued ahead.

    Past the first ``singles`` locations (so that a cycle of a handful still fetches them
    all at once), locations go to the pool in groups: a future, a queue hand-off and a
    thread wake-up per location cost a tenth of the processing CPU time of a location.
    """
    pending: deque[Future[list[T]]] = deque()
    queued = 0
    for group in _groups(items, singles):
        pending.append(pool.submit(_each, work, group))
        queued += len(group)
        while queued >= window:
            done = pending.popleft().result()
            queued -= len(done)
            yield from done
    while pending:
        yield from pending.popleft().result()


def _groups(items: Iterator[str], singles: int) -> Iterator[list[str]]:
    for item in islice(items, singles):
        yield [item]
    while group := list(islice(items, HANDOFF)):
        yield group


def _each(work: Callable[[str], T], group: list[str]) -> list[T]:
    return [work(item) for item in group]


class CollectorPacing:
    """Fewer cyclic garbage collections while cycles run; the usual pace otherwise.

    A cycle allocates and drops thousands of containers per location (decoded documents,
    snapshots, rows). At CPython's default pace (a pass every 700 net allocations) the
    collector ran every few locations and its older-generation passes re-walked the whole
    long-lived heap: a quarter of the processing CPU time of a cycle. Reference counting
    still frees everything that is not in a cycle at once, so memory is unaffected.
    Overlapping cycles nest; the last one to finish restores the process's own setting.
    """

    YOUNG_THRESHOLD = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def paced(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = gc.get_threshold()
                young, *older = self._saved
                gc.set_threshold(max(young, self.YOUNG_THRESHOLD), *older)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    gc.set_threshold(*self._saved)


@cache
def process_pacing() -> CollectorPacing:
    """The process's one pacing, made on first use: the collector's thresholds are
    process-wide, so every review service of the process shares it."""
    return CollectorPacing()
