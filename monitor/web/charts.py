"""Ratings over time as inline SVG, drawn on the server (no script, nothing fetched).

One chart per key question: a step line (a rating holds until the next one) with a dot per
dated rating, each dot titled "2022-04-20: Good" for a hover and for assistive technology.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

from monitor.domain.ratings import SCALE
from monitor.web.timeline import Point

# Rows top to bottom; anything off the scale ("Inspected but not rated"...) sits on the last.
ROWS = ("Outstanding", "Good", "Requires improvement", "Inadequate", "Not rated")
_ROW_LABELS = ("Outstanding", "Good", "Req. improvement", "Inadequate", "Other")
LEFT, RIGHT_PAD, TOP, ROW_GAP, AXIS = 118, 16, 14, 24, 30


def row_of(rating: str) -> int:
    return ROWS.index(rating) if rating in SCALE else len(ROWS) - 1


def css_class(rating: str) -> str:
    """``good``, ``requires-improvement``, ... ``other``: the colour of a rating everywhere."""
    return rating.lower().replace(" ", "-") if rating in SCALE else "other"


def timeline_svg(
    points: Sequence[Point], *, title: str, until: date | None = None, width: int = 480
) -> Markup:
    """The chart of ``points`` (oldest first), the last rating held until ``until`` (when
    later); an empty list draws a "no ratings" note.
    """
    height = TOP + ROW_GAP * (len(ROWS) - 1) + AXIS
    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(_description(title, points))}">',
        f"<title>{escape(title)}</title>",
        *_grid(width),
    ]
    if points:
        start, end = points[0].day, max(points[-1].day, until or points[-1].day)
        x = _scale(start, end, width)
        parts += _axis(start, end, x, height)
        parts.append(_steps(points, x, end))
        parts += [_dot(point, x) for point in points]
    else:
        parts.append(f'<text class="empty" x="{LEFT + 8}" y="{_y(1)}">no ratings stored</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _description(title: str, points: Sequence[Point]) -> str:
    history = "; ".join(f"{p.rating} from {p.day.isoformat()}" for p in points)
    return f"{title}: {history or 'no ratings stored'}"


def _y(row: int) -> int:
    return TOP + row * ROW_GAP


def _scale(start: date, end: date, width: int) -> Callable[[date], float]:
    """x of a day; a single date sits in the middle."""
    span = (end - start).days
    inner = width - LEFT - RIGHT_PAD

    def x(day: date) -> float:
        return round(LEFT + inner * ((day - start).days / span if span else 0.5), 1)

    return x


def _grid(width: int) -> list[str]:
    lines = []
    for row, label in enumerate(_ROW_LABELS):
        y = _y(row)
        lines.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{width - RIGHT_PAD}" y2="{y}"/>')
        lines.append(f'<text class="label" x="{LEFT - 8}" y="{y + 4}">{label}</text>')
    return lines


def _axis(start: date, end: date, x: Callable[[date], float], height: int) -> list[str]:
    years = range(start.year + 1, end.year + 1)
    ticks = [date(year, 1, 1) for year in years] or [start]
    step = max(1, len(ticks) // 8)  # at most about eight labels, however long the history
    return [
        f'<text class="tick" x="{x(day)}" y="{height - 8}">{day.year}</text>'
        for day in ticks[::step]
    ]


def _steps(points: Sequence[Point], x: Callable[[date], float], end: date) -> str:
    path = f"M{x(points[0].day)},{_y(row_of(points[0].rating))}"
    for point in points[1:]:
        path += f" H{x(point.day)} V{_y(row_of(point.rating))}"
    if end > points[-1].day:
        path += f" H{x(end)}"
    return f'<path class="step" d="{path}"/>'


def _dot(point: Point, x: Callable[[date], float]) -> str:
    label = escape(f"{point.day.isoformat()}: {point.rating}")
    return (
        f'<circle class="dot {css_class(point.rating)}" cx="{x(point.day)}" '
        f'cy="{_y(row_of(point.rating))}" r="5" data-date="{point.day.isoformat()}" '
        f'data-rating="{escape(point.rating)}"><title>{label}</title></circle>'
    )
