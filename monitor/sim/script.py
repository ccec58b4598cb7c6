"""Scripted timelines of regulator changes, and a clock tests and demos can move.

A script is a list of ``Step``s applied in order: by hand (``advance`` / ``advance_to``
between two worker cycles) or by elapsed time (``run_due``, used by ``python -m monitor.sim
--story``). ``demo_story`` is the story of SPEC §9: a new inspection, a downgrade, a monthly
data review and a deregistration of one location.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.sim.simulator import SimulatedCqc


@dataclass(frozen=True, slots=True)
class Step:
    """One scripted change. ``at``: seconds after the start, for ``run_due``."""

    name: str
    action: Callable[[SimulatedCqc], object]
    at: float | None = None


class Timeline:
    """The steps scheduled on one simulator and how far they have been applied."""

    def __init__(self, sim: SimulatedCqc) -> None:
        self._sim = sim
        self._steps: list[Step] = []
        self._done = 0
        self._lock = threading.RLock()  # a step may itself advance the script

    def schedule(self, steps: list[Step]) -> None:
        """Append steps after those already scheduled."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def applied(self) -> list[Step]:
        with self._lock:
            return self._steps[: self._done]

    @property
    def pending(self) -> list[Step]:
        with self._lock:
            return self._steps[self._done :]

    def advance(self) -> Step | None:
        """Apply the next step; None when the script is over."""
        with self._lock:
            if self._done >= len(self._steps):
                return None
            step = self._steps[self._done]
            step.action(self._sim)
            self._done += 1
            return step

    def advance_to(self, target: int | str) -> list[Step]:
        """Apply every step up to and including ``target`` (index or name)."""
        with self._lock:
            names = [s.name for s in self._steps]
            last = target if isinstance(target, int) else names.index(target)
            if not 0 <= last < len(self._steps):
                raise IndexError(f"no step {target!r} in a script of {len(self._steps)}")
        applied: list[Step] = []
        while len(self.applied) <= last:
            step = self.advance()
            if step is None:
                break
            applied.append(step)
        return applied

    def run_due(self, elapsed: float) -> list[Step]:
        """Apply the pending steps whose ``at`` is not after ``elapsed`` seconds."""
        applied: list[Step] = []
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


def demo_story(
    location_id: str, *, start: date = date(2025, 11, 3), every: float | None = None
) -> list[Step]:
    """New inspection, downgrade, data review, deregistration; a week apart in report dates.

    ``every``: seconds between steps for ``run_due`` (None: apply by hand).
    """

    def day(week: int) -> date:
        return start + timedelta(weeks=week)

    def at(index: int) -> float | None:
        return None if every is None else every * (index + 1)

    actions: list[tuple[str, Callable[[SimulatedCqc], object]]] = [
        (
            "new inspection",
            lambda sim: sim.add_report(
                location_id, report_date=day(0), first_visit_date=day(0) - timedelta(days=28)
            ),
        ),
        (
            "downgrade",
            lambda sim: sim.set_ratings(
                location_id,
                {"Overall": "Requires improvement", "Safe": "Inadequate"},
                report_date=day(1),
            ),
        ),
        ("data review", lambda sim: sim.add_data_review(location_id, day(2))),
        ("deregistration", lambda sim: sim.deregister(location_id, day(3))),
    ]
    return [Step(name, action, at(index)) for index, (name, action) in enumerate(actions)]
