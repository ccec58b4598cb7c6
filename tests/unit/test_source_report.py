"""``source shape``, ``source ack`` and the shape watch's part of ``status``, from literals as
``store.source_shape`` returns them; and how a sink words a ``source_changed``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.cli import source_report as report
from monitor.domain.events import LocationRef
from monitor.domain.shape_watch import PATH_ADDED, VALUE_ADDED, Novelty
from monitor.domain.source_events import source_changed
from monitor.sinks.text import headline, text_block

LEARNED = datetime(2026, 11, 1, 6, 0, 3, tzinfo=UTC)
SEEN = datetime(2026, 12, 1, 7, 0, 5, tzinfo=UTC)


def change(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 1,
        "change": "value_added",
        "kind": "location",
        "path": "assessment[].ratings.overall[].rating",
        "field": "rating",
        "value": "Exceptional",
        "examples": ["1-125856395", "1-10000302982"],
        "first_seen_at": SEEN,
        "event_id": "evt_1",
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    return row | overrides


def shape(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "learned_at": LEARNED,
        "kinds": {
            "location": {
                "documents": 200,
                "paths": [
                    {"path": "brandName", "documents": 150, "first_seen_at": LEARNED},
                    {"path": "registrationStatus", "documents": 200, "first_seen_at": LEARNED},
                    {"path": "scoreBand", "documents": 3, "first_seen_at": SEEN},
                ],
            }
        },
        "values": {
            "rating": [
                {"value": "Exceptional", "documents": 1, "path": "x.rating", "first_seen_at": SEEN},
                {"value": "Good", "documents": 180, "path": "y.rating", "first_seen_at": LEARNED},
            ]
        },
        "unacknowledged": 1,
    }
    return data | overrides


def test_status_needs_attention_until_changes_are_acknowledged() -> None:
    section = {"learned_at": LEARNED, "changes": [change()], "unacknowledged": 1}

    assert report.attention(section) == [
        "1 change(s) in CQC's document shape not acknowledged (cqc-monitor source ack)"
    ]
    assert report.status_lines(section) == [
        "",
        "CQC data shape: learned 2026-11-01 06:00:03Z; changes (cqc-monitor source ack once "
        "the monitor's reading is checked):",
        "  2026-12-01 07:00:05Z new value rating 'Exceptional' at "
        "assessment[].ratings.overall[].rating (location documents; seen at 1-125856395, "
        "1-10000302982) — not acknowledged",
    ]
    acknowledged = change(acknowledged_at=SEEN)
    quiet = {"learned_at": LEARNED, "changes": [acknowledged], "unacknowledged": 0}
    assert report.attention(quiet) == []
    assert report.status_lines(quiet)[2].endswith("— acknowledged 2026-12-01 07:00:05Z")


def test_status_while_learning_and_with_nothing_new() -> None:
    learning = {"learned_at": None, "changes": [], "unacknowledged": 0}
    assert report.status_lines(learning)[1] == (
        "CQC data shape: learning (until the first full review completes)"
    )
    calm = {"learned_at": LEARNED, "changes": [], "unacknowledged": 0}
    assert report.status_lines(calm)[1].endswith("; no change in the last 30 days")


def test_a_new_field_reads_as_one() -> None:
    line = report.change_line(
        change(change="path_added", path="currentRatings.overall.scoreBand", field=None, value=None)
    )
    assert " new field currentRatings.overall.scoreBand (location documents;" in line


def test_paths_show_their_share_and_whether_the_monitor_reads_them() -> None:
    rows = {row["path"]: row for row in report.path_rows(shape())}

    assert rows["registrationStatus"] == {
        "kind": "location",
        "path": "registrationStatus",
        "documents": 200,
        "share": "100.0%",
        "read": True,
        "documented": True,
    }
    assert (rows["brandName"]["share"], rows["brandName"]["read"]) == ("75.0%", False)
    assert rows["scoreBand"]["documented"] is False


def test_values_say_which_the_monitor_knows() -> None:
    known = {row["value"]: row["known"] for row in report.value_rows(shape())}
    assert known == {"Exceptional": False, "Good": True}


def test_the_json_form_and_the_heading() -> None:
    data = report.shape_json(shape(), [change()])

    assert data["learned_at"] == "2026-11-01T06:00:03Z"
    assert data["documents"] == {"location": 200}
    assert data["changes"][0]["first_seen_at"] == "2026-12-01T07:00:05Z"
    assert data["unacknowledged"] == 1
    assert report.heading(shape()) == [
        "shape learned 2026-11-01 06:00:03Z (the first full review)",
        "documents read: location documents 200",
        "1 change(s) not acknowledged (cqc-monitor source ack)",
    ]
    assert report.heading(shape(learned_at=None, kinds={}, unacknowledged=0))[1] == (
        "documents read: none yet"
    )


def test_acknowledging_says_how_many() -> None:
    assert report.ack_message(2) == "acknowledged 2 change(s) of CQC's document shape"
    assert report.ack_message(0).startswith("no change")


def test_sinks_word_a_source_changed_event() -> None:
    ref = LocationRef("1-1", "Henley House", None, "https://www.cqc.org.uk/location/1-1")
    event = source_changed(
        "location",
        [
            Novelty(PATH_ADDED, "location", "currentRatings.overall.scoreBand"),
            Novelty(VALUE_ADDED, "location", "x.rating", "rating", "Exceptional"),
        ],
        ["1-1", "1-2"],
        ref,
        "2026-12-01T07:00:05Z",
    )

    assert headline(event) == "CQC changed its location documents (1 new field, 1 new value)"
    block = text_block(event)
    assert "  New field: currentRatings.overall.scoreBand" in block
    assert "  New rating: 'Exceptional' at x.rating" in block
    assert "  Seen at: 1-1, 1-2" in block
    assert "cqc-monitor source ack" in block
