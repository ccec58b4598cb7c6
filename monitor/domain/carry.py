"""What a document left out, carried from the snapshot before it (SPEC §5.2: re-fetching
identical data produces no event).

CQC's documents sometimes arrive without a part they had: ``reports`` or ``currentRatings``
missing from a response, a key question dropped while a location moves between frameworks, a
list sent as an object the parser cannot read. ``diff`` records such a gap and raises nothing.
But were the gap all the next comparison knew, the part's return would read as news: a report
published years ago as a new inspection, "no rating → Good".

So what CQC said last of a rating, a report or the registration status that the document left
out is kept beside the document's own facts (``Snapshot.carried_*``), never as one of them: the
snapshot shows what CQC says now. When a document names the part again, ``diff`` compares it
with what CQC said last, and only a real difference is alerted. A part CQC withdrew for good
stays carried, unseen, in case it is ever named again.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.snapshot import Rating, Report, Snapshot


def carry_vanished(previous: Snapshot, current: Snapshot) -> Snapshot:
    """``current`` with what ``previous`` knew (had, or carried) and ``current`` lacks;
    ``current`` itself when nothing is missing."""
    named = {rating.key for rating in current.ratings}
    ratings = [r for key, r in last_ratings(previous).items() if key not in named]
    linked = {report.link_id for report in current.reports}
    reports = [r for link, r in last_reports(previous).items() if link not in linked]
    status = None
    if current.registration_status is None:
        status = last_registration_status(previous)
    if not ratings and not reports and status is None:
        return current
    return replace(
        current,
        carried_ratings=tuple(sorted(ratings, key=lambda r: (r.service or "", r.question))),
        carried_reports=tuple(sorted(reports, key=lambda r: r.link_id)),
        carried_registration_status=status,
    )


def last_ratings(snapshot: Snapshot) -> dict[tuple[str, str], Rating]:
    """What CQC said last of each rating ``snapshot`` knows: its own, else a carried one."""
    return {rating.key: rating for rating in (*snapshot.carried_ratings, *snapshot.ratings)}


def last_reports(snapshot: Snapshot) -> dict[str, Report]:
    return {report.link_id: report for report in (*snapshot.carried_reports, *snapshot.reports)}


def last_registration_status(snapshot: Snapshot) -> str | None:
    return snapshot.registration_status or snapshot.carried_registration_status
