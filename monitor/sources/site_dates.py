"""Dates as the CQC website writes them: "6 July 2023", "15th and 28th January 2019"."""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS = {name[:3].casefold(): number for number, name in enumerate(calendar.month_name) if name}
_PART = (
    r"(\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s+(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?)?"
    r"(?:\s+(\d{4}))?"
)
_JOIN = r"\s*(?:,\s*and|,|and|to|&|-|–|—)\s*"
_DATE_PART = re.compile(_PART, re.IGNORECASE)
_DATE_LINE = re.compile(rf"{_PART}(?:{_JOIN}{_PART})*", re.IGNORECASE)


def parse_site_date(text: str) -> tuple[str, str] | None:
    """``"15th and 28th January 2019"`` → ``("2019-01-15", "2019-01-28")``; None if not a date.

    Accepts one day or a run of days ("1 and 2 March 2020", "15 - 28 January 2019",
    "30 September to 2 October 2019"); the first and last days are kept.
    """
    if _DATE_LINE.fullmatch(text) is None:
        return None
    parts = _DATE_PART.findall(text)
    last_day, last_month, last_year = parts[-1]
    if not (last_month and last_year):
        return None
    month, year = last_month, last_year
    for _, part_month, part_year in reversed(parts[:-1]):  # earlier days borrow later months
        month, year = part_month or month, part_year or year
    try:
        first = _date(year, month, parts[0][0])
        last = _date(last_year, last_month, last_day)
    except ValueError:  # "31 February 2020" is not a date, so not a date line
        return None
    if first > last and not parts[0][2]:  # "30 December to 2 January 2020"
        first = first.replace(year=first.year - 1)
    return first.isoformat(), last.isoformat()


def _date(year: str, month: str, day: str) -> date:
    return date(int(year), _MONTHS[month[:3].casefold()], int(day))
