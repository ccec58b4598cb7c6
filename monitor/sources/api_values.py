"""Scalar readers for CQC API documents: each value is checked for its type, never coerced.

A field of the wrong type raises ``DocumentShapeError``: a name that is an object, a bed count
that is ``true`` or ``1e400``, a date that is not a date. Reading such a value as something
else would store a wrong fact and raise a false alarm on the next diff.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DocumentShapeError(ValueError):
    """A field of a location document does not have the shape CQC gives it."""


def text(value: Any, field: str = "value") -> str | None:
    """Whitespace-tidied text."""
    if value is None:
        return None
    if value.__class__ is not str:
        raise DocumentShapeError(f"{field} is {type(value).__name__}, expected text")
    if "\x00" in value:
        # No database stores it in text, and no real name or date contains it.
        raise DocumentShapeError(f"{field} contains a NUL character")
    return " ".join(value.split()) or None


def identifier(value: Any, field: str = "id") -> str | None:
    """An id; one that arrives as a JSON integer is read as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, field)


def iso_date(value: Any, field: str = "date") -> str | None:
    """``2022-04-20`` from a date or a date-time; anything else is an error."""
    tidy = text(value, field)
    if tidy is None:
        return None
    if not _ISO_DATE.match(tidy) or not _real_day(tidy[:10]):
        raise DocumentShapeError(f"{field} {tidy[:40]!r} is not a date")
    return tidy[:10]


def _real_day(day: str) -> bool:
    """``2022-02-30`` has the shape of a date but names no day: as much an error as ``soon``."""
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def link(value: Any, field: str = "link") -> str | None:
    """``/reports/8d75…?20220420120000`` and ``8d75…`` are the same report."""
    tidy = identifier(value, field)
    if not tidy:
        return None
    return tidy.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None


def whole_number(value: Any, field: str = "number") -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DocumentShapeError(f"{field} is a boolean, expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise DocumentShapeError(f"{field} {str(value)[:40]!r} is not a whole number")


def flag(value: Any, field: str = "flag") -> bool | None:
    if isinstance(value, bool):
        return value
    tidy = text(value, field)
    if tidy is None:
        return None
    return tidy.casefold() in {"y", "yes", "true"}


def objects(value: Any, field: str = "list") -> Iterable[dict[str, Any]]:
    """The objects of a list field. A field of the wrong shape is an error, not "no ratings":
    reading garbage as an empty list would raise false alarms on the next diff."""
    if value is None:
        return ()
    if isinstance(value, dict):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise DocumentShapeError(f"{field} is {type(value).__name__}, expected a list of objects")


def names(items: Any, field: str = "list") -> tuple[str, ...]:
    found = {text(item.get("name"), f"{field}[].name") for item in objects(items, field)}
    return tuple(sorted(name for name in found if name))


def mapping(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DocumentShapeError(f"{field} is {type(value).__name__}, expected an object")
    return value
