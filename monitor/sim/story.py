"""The story of SPEC §9 as a script: a new inspection, a downgrade, a monthly data review
and a deregistration of one location, for ``cqc-monitor demo`` and ``python -m monitor.sim
--story``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from monitor.sim.script import Step
from monitor.sim.simulator import SimulatedCqc


def demo_story(
    location_id: str, *, start: date = date(2025, 11, 3), every: float | None = None
) -> list[Step[SimulatedCqc]]:
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
