"""The ratings timeline: points read from snapshots, drawn as SVG (literal values)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from monitor.web.charts import timeline_svg
from monitor.web.timeline import Point, rating_points


def snapshot(
    ratings: list[dict[str, object]], past: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"ratings": ratings, "past_ratings": past or []}


def test_points_come_from_every_snapshot_and_the_history_each_carries() -> None:
    first = snapshot(
        [{"question": "Overall", "service": None, "rating": "Good", "date": "2022-04-20"}],
        past=[
            {
                "question": "Overall",
                "service": None,
                "rating": "Requires improvement",
                "report_date": "2019-06-01",
            }
        ],
    )
    second = snapshot(
        [
            {"question": "Overall", "service": None, "rating": "Inadequate", "date": "2025-11-04"},
            {"question": "Overall", "service": "Maternity", "rating": "Good", "date": "2025-11-04"},
        ],
        past=[
            {"question": "Overall", "service": None, "rating": "Good", "report_date": "2022-04-20"}
        ],
    )
    points = rating_points(
        [(datetime(2025, 11, 1, tzinfo=UTC), first), (datetime(2025, 11, 5, tzinfo=UTC), second)]
    )
    assert list(points) == ["Overall", "Safe", "Effective", "Caring", "Responsive", "Well-led"]
    assert points["Overall"] == [
        Point(date(2019, 6, 1), "Requires improvement"),
        Point(date(2022, 4, 20), "Good"),
        Point(date(2025, 11, 4), "Inadequate"),
    ]
    assert points["Safe"] == []


def test_a_rating_without_a_date_is_placed_on_the_day_it_was_fetched() -> None:
    data = snapshot([{"question": "Safe", "service": None, "rating": "Good", "date": None}])
    points = rating_points([(datetime(2025, 11, 1, 6, tzinfo=UTC), data)])
    assert points["Safe"] == [Point(date(2025, 11, 1), "Good")]


def test_the_chart_draws_a_titled_dot_per_rating_on_its_row_and_holds_the_last() -> None:
    svg = timeline_svg(
        [Point(date(2022, 1, 1), "Good"), Point(date(2024, 1, 1), "Requires improvement")],
        title="Overall: rating over time",
        until=date(2025, 1, 1),
        width=480,
    )
    dots = re.findall(r'<circle class="dot ([a-z-]+)" cx="([\d.]+)" cy="(\d+)"', svg)
    # x = 118 + 346 * days / 1096 (2022 to 2025); rows: Outstanding 14, Good 38, RI 62.
    assert dots == [("good", "118.0", "38"), ("requires-improvement", "348.5", "62")]
    assert re.findall(r"<title>([^<]+)</title></circle>", svg) == [
        "2022-01-01: Good",
        "2024-01-01: Requires improvement",
    ]
    assert '<path class="step" d="M118.0,38 H348.5 V62 H464.0"/>' in svg
    assert re.findall(r'class="tick"[^>]*>(\d+)<', svg) == ["2023", "2024", "2025"]
    assert 'aria-label="Overall: rating over time: Good from 2022-01-01; ' in svg


def test_a_non_rating_sits_on_the_bottom_row_and_text_is_escaped() -> None:
    svg = timeline_svg([Point(date(2023, 5, 1), "Inspected but not rated")], title="<Safe>")
    assert 'class="dot other" cx="291.0" cy="110"' in svg  # one date: the middle
    assert "<title>&lt;Safe&gt;</title>" in svg and "<Safe>" not in svg


def test_no_points_says_so() -> None:
    svg = timeline_svg([], title="Caring")
    assert "no ratings stored" in svg and "<circle" not in svg
