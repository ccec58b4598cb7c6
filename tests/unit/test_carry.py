"""``carry_vanished``: what a document leaves out is kept beside it as CQC's last word, never
as one of its own facts; its return is judged against that word (SPEC §5.2)."""

from __future__ import annotations

from monitor.domain.carry import carry_vanished
from monitor.domain.diff import diff
from monitor.domain.snapshot import Rating, Report, Snapshot

NOW = "2026-12-08T07:00:00Z"
GOOD = Rating("Overall", "Good", date="2022-04-20", report_link_id="r-1")
SAFE = Rating("Safe", "Requires improvement", date="2022-04-20", report_link_id="r-1")
MATERNITY = Rating("Overall", "Inadequate", service="Maternity", date="2021-01-05")
OLD_REPORT = Report("r-1", "2022-04-20", "2022-03-01", "Location", None)
NEW_REPORT = Report("r-2", "2026-12-01", "2026-11-01", "Location", None)

WHOLE = Snapshot(
    "1-1",
    "Henley House",
    registration_status="Registered",
    ratings=(GOOD, SAFE, MATERNITY),
    reports=(OLD_REPORT,),
)
BARE = Snapshot("1-1", "Henley House")


def test_a_whole_document_carries_nothing_and_keeps_its_hash() -> None:
    assert carry_vanished(WHOLE, WHOLE) is WHOLE
    assert carry_vanished(BARE, WHOLE) is WHOLE
    stored = WHOLE.to_dict()
    assert not {"carried_ratings", "carried_reports", "carried_registration_status"} & set(stored)
    assert Snapshot.from_dict(stored).content_hash() == WHOLE.content_hash()


def test_what_a_document_leaves_out_is_kept_beside_it_not_in_it() -> None:
    gap = carry_vanished(WHOLE, BARE)

    assert (gap.ratings, gap.reports, gap.registration_status) == ((), (), None)
    assert gap.carried_ratings == (GOOD, SAFE, MATERNITY)
    assert gap.carried_reports == (OLD_REPORT,)
    assert gap.carried_registration_status == "Registered"
    assert Snapshot.from_dict(gap.to_dict()) == gap


def test_the_last_word_outlives_any_number_of_partial_documents() -> None:
    gap = carry_vanished(WHOLE, BARE)
    still = carry_vanished(gap, BARE)

    assert still == gap and still.content_hash() == gap.content_hash()


def test_a_returning_part_is_no_news_but_a_changed_one_is() -> None:
    gap = carry_vanished(WHOLE, BARE)
    assert diff(gap, carry_vanished(gap, WHOLE), detected_at=NOW) == []

    inspected = Snapshot(
        "1-1",
        "Henley House",
        registration_status="Registered",
        ratings=(Rating("Overall", "Inadequate", date="2026-12-01", report_link_id="r-2"),),
        reports=(NEW_REPORT, OLD_REPORT),
    )
    events = diff(gap, carry_vanished(gap, inspected), detected_at=NOW)

    assert [event.type for event in events] == ["rating_changed", "new_inspection"]
    (change,) = events[0].details["changes"]
    assert (change["old"], change["new"], change["direction"]) == ("Good", "Inadequate", "declined")
    assert events[1].details["report_link_id"] == "r-2"


def test_a_part_named_again_is_carried_no_longer() -> None:
    partly = Snapshot("1-1", "Henley House", ratings=(GOOD,))
    gap = carry_vanished(WHOLE, partly)
    assert [r.key for r in gap.carried_ratings] == [("", "Safe"), ("Maternity", "Overall")]

    back = carry_vanished(gap, WHOLE)
    assert (back.carried_ratings, back.carried_reports) == ((), ())
    assert back.carried_registration_status is None
