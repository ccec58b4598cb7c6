"""What a document left out, carried from the snapshot before it (SPEC §5.2: re-fetching
identical data produces no event).

CQC's documents sometimes arrive without a part they had: ``reports`` or ``currentRatings``
missing from a response, a key question dropped while a location moves between frameworks, a
list sent as an object the parser cannot read. ``diff`` records such a gap and raises nothing.
But were the gap kept as the snapshot the next document is compared with, the part's return
would read as news: a report published years ago as a new inspection, "no rating → Good".

So a rating, a report or a registration status that vanished is carried into the new snapshot,
the rating or report marked ``carried``, until a document names it again. What the document
then says is compared with what CQC said last, and only a real difference is alerted.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.snapshot import Snapshot


def carry_vanished(previous: Snapshot, current: Snapshot) -> Snapshot:
    """``current`` with what ``previous`` had and ``current`` lacks: unchanged when nothing
    vanished (so is its content hash)."""
    named = {rating.key for rating in current.ratings}
    ratings = tuple(
        replace(rating, carried=True) for rating in previous.ratings if rating.key not in named
    )
    linked = {report.link_id for report in current.reports}
    reports = tuple(
        replace(report, carried=True) for report in previous.reports if report.link_id not in linked
    )
    status = current.registration_status or previous.registration_status
    if not ratings and not reports and status == current.registration_status:
        return current
    return replace(
        current,
        ratings=current.ratings + ratings,
        reports=current.reports + reports,
        registration_status=status,
    )
