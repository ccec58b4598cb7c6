"""Query parameters to filters: what a user typed in a form or a link, checked.

A value the dashboard cannot use is a 400 naming the parameter, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from flask import request
from werkzeug.exceptions import BadRequest

from monitor.domain.events import EVENT_TYPES, SEVERITIES
from monitor.domain.ratings import NON_RATINGS, SCALE
from monitor.store.dashboard_locations import NO_RATING, SORTS, LocationFilter
from monitor.store.dashboard_queries import ChangeFilter
from monitor.store.runstate import LISTED_STATES

PAGE_SIZES = (25, 50, 100, 500)
FINDINGS = ("serious",)  # special measures or enforcement beyond a requirement notice
RATINGS = (*SCALE, *NON_RATINGS)
_MAX_TEXT = 200
_MAX_PAGE = 1_000_000
# Control characters (a tab aside) never belong in a search or an id; NUL would reach
# PostgreSQL, which refuses it in text.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def check_request() -> None:
    """Every query parameter and path id of the request, checked once before any view
    reads it: at most ``_MAX_TEXT`` characters, no control character."""
    values: Iterable[tuple[str, str]] = request.args.items(multi=True)
    for name, value in (*values, *(request.view_args or {}).items()):
        if not isinstance(value, str):
            continue
        if len(value) > _MAX_TEXT:
            raise BadRequest(f"{name[:40]}: at most {_MAX_TEXT} characters")
        if _CONTROL.search(value) or _CONTROL.search(name):
            raise BadRequest(f"{_CONTROL.sub('?', name[:40])}: contains a control character")


def page_number() -> int:
    value = text("page") or "1"
    if not value.isdigit() or not 1 <= int(value) <= _MAX_PAGE:
        raise BadRequest(f"page: {value[:20]!r} is not a page number")
    return int(value)


def page_size(default: int) -> int:
    value = text("size")
    if not value:
        return default
    if not value.isdigit() or int(value) not in PAGE_SIZES:
        raise BadRequest(f"size: must be one of {', '.join(map(str, PAGE_SIZES))}")
    return int(value)


def text(name: str) -> str:
    """A parameter as typed, trimmed (``check_request`` has bounded and checked it)."""
    return request.args.get(name, "").strip()


def choices(name: str, allowed: Sequence[str]) -> tuple[str, ...]:
    values = tuple(v for v in request.args.getlist(name) if v)
    for value in values:
        if value not in allowed:
            raise BadRequest(f"{name}: {value[:40]!r} is not one of {', '.join(allowed)}")
    return values


def choice(name: str, allowed: Sequence[str]) -> str:
    found = choices(name, allowed)
    return found[0] if found else ""


def day(name: str) -> date | None:
    value = text(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: {value[:20]!r} is not a date such as 2026-01-31") from None


def change_filter() -> ChangeFilter:
    """The Changes page's filters; ``to`` includes the whole of its day (UTC)."""
    first, last = day("from"), day("to")
    return ChangeFilter(
        types=choices("type", EVENT_TYPES),
        severities=choices("severity", SEVERITIES),
        since=datetime.combine(first, time(), UTC) if first else None,
        until=datetime.combine(last, time(), UTC) + timedelta(days=1) if last else None,
        location=text("location"),
        provider=text("provider"),
        area=text("area"),
        serious=choice("findings", FINDINGS) == "serious",
    )


def location_filter() -> LocationFilter:
    return LocationFilter(
        query=text("q"),
        area=text("area"),
        rating=choice("rating", (*RATINGS, NO_RATING)),
        state=choice("state", LISTED_STATES),
    )


def sort() -> tuple[str, bool]:
    """(column, descending) of the Locations table."""
    column = choice("sort", tuple(SORTS)) or "name"
    return column, choice("order", ("asc", "desc")) == "desc"
