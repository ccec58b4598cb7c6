"""Scripted timelines of regulator changes, and a clock tests and demos can move.

A script is a list of ``Step``s applied in order: by hand (``advance`` / ``advance_to``
between two worker cycles) or by elapsed time (``run_due``, used by ``python -m monitor.sim
--story``). A step acts on the simulator it is scheduled on, whatever its type: the
simulator imports this module, not the other way round. ``story.demo_story`` is a script.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

Target = TypeVar("Target")


@dataclass(frozen=True, slots=True)
class Step(Generic[Target]):
    """One scripted change. ``at``: seconds after the start, for ``run_due``."""

    name: str
    action: Callable[[Target], object]
    at: float | None = None


class Timeline(Generic[Target]):
    """The steps scheduled on one simulator and how far they have been applied."""

    def __init__(self, sim: Target) -> None:
        self._sim = sim
        self._steps: list[Step[Target]] = []
        self._done = 0
        self._lock = threading.RLock()  # a step may itself advance the script

    def schedule(self, steps: list[Step[Target]]) -> None:
        """Append steps after those already scheduled."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def applied(self) -> list[Step[Target]]:
        with self._lock:
            return self._steps[: self._done]

    @property
    def pending(self) -> list[Step[Target]]:
        with self._lock:
            return self._steps[self._done :]

    def advance(self) -> Step[Target] | None:
        """Apply the next step; None when the script is over."""
        with self._lock:
            if self._done >= len(self._steps):
                return None
            step = self._steps[self._done]
            step.action(self._sim)
            self._done += 1
            return step

    def advance_to(self, target: int | str) -> list[Step[Target]]:
        """Apply every step up to and including ``target`` (index or name)."""
        with self._lock:
            names = [s.name for s in self._steps]
            last = target if isinstance(target, int) else names.index(target)
            if not 0 <= last < len(self._steps):
                raise IndexError(f"no step {target!r} in a script of {len(self._steps)}")
        applied: list[Step[Target]] = []
        while len(self.applied) <= last:
            step = self.advance()
            if step is None:
                break
            applied.append(step)
        return applied

    def run_due(self, elapsed: float) -> list[Step[Target]]:
        """Apply the pending steps whose ``at`` is not after ``elapsed`` seconds."""
        applied: list[Step[Target]] = []
        for step in self.pending:
            if step.at is None or step.at > elapsed:
                break
            self.advance()
            applied.append(step)
        return applied


class ManualClock:
    """A clock that only moves when told to; pass it as ``SimulatedCqc(clock=...)``."""

    def __init__(self, start: datetime | None = None) -> None:
        moment = start or datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by ``seconds`` plus any ``timedelta`` keywords (``days=1``)."""
        with self._lock:
            self._now += timedelta(seconds=seconds, **delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
