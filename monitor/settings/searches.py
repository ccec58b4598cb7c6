"""``[[watch.search]]`` tables: a name and the filters of CQC's ``GET /locations``.

    [[watch.search]]
    name = "kent-care-homes"
    localAuthority = ["Kent", "Medway"]    # a list means "any of"
    careHome = "Y"

Every key but ``name`` is a filter, spelt as the API spells it; a key the API does not have
is refused with the list of those it does, so a typo never widens a search to the whole
register.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from monitor.config_model import ConfigModel, did_you_mean
from monitor.domain.ratings import NON_RATINGS, SCALE
from monitor.domain.search import FILTERS, Search
from monitor.errors import ConfigError
from monitor.sinks.base import SinkConfig

_YES_NO = {"Y", "N"}
# CQC's ids: "1-" and digits (1-10000302982, 1-102642938), or the upper-case organisation
# codes of NHS bodies (a trust RXQ, its site RXQ02). Nothing else reaches the API.
CQC_ID = re.compile(r"^(?:1-[0-9]{1,20}|[A-Z][A-Z0-9]{2,9})$")


class SearchSettings(ConfigModel):
    name: str = Field(min_length=1, max_length=64)
    filters: dict[str, list[str]]

    @model_validator(mode="before")
    @classmethod
    def _filters_beside_name(cls, data: Any) -> Any:
        """The TOML table holds the filters next to ``name``; the model keeps them apart."""
        if not isinstance(data, dict):
            return data
        filters = {key: value for key, value in data.items() if key != "name"}
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise ValueError(_unknown_keys(unknown))
        if not filters:
            raise ValueError(
                "a search needs at least one filter (for the whole register use watch.all)"
            )
        named = {"name": data["name"]} if "name" in data else {}
        return {**named, "filters": filters}

    @field_validator("filters", mode="before")
    @classmethod
    def _values(cls, filters: dict[str, Any]) -> dict[str, list[str]]:
        return {key: _checked_values(key, value) for key, value in filters.items()}

    def search(self) -> Search:
        return Search.of(self.name, self.filters)


def duplicate_names(tables: Any, key: str, what: str) -> list[ConfigError]:
    """Each table of the list ``tables`` whose ``name`` an earlier one has, named by key."""
    if not isinstance(tables, list):
        return []
    seen: set[str] = set()
    problems = []
    for index, table in enumerate(tables):
        name = table.get("name") if isinstance(table, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(ConfigError(f"{key}[{index}].name", f"duplicate {what} name {name!r}"))
        seen.add(name)
    return problems


def sink_search_problems(
    sinks: Sequence[tuple[int, SinkConfig]], names: Sequence[str]
) -> list[ConfigError]:
    """A sink's ``searches`` must name configured searches: a typo would silence it."""
    problems = []
    for index, config in sinks:
        for name in config.searches or ():
            if name not in names:
                known = ", ".join(sorted(names)) or "none configured"
                hint = did_you_mean(name, names)
                problems.append(
                    ConfigError(
                        f"sinks[{index}].searches",
                        f"no search named {name!r}{hint} (searches: {known})",
                    )
                )
    return problems


def _checked_values(key: str, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError(f"{key} needs at least one value")
    checked = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{key} takes text or a list of text, got {item!r:.40}")
        checked.append(" ".join(item.split()))
    if key == "providerId" and not all(CQC_ID.match(item) for item in checked):
        raise ValueError("providerId takes CQC provider ids such as 1-102642938")
    if key == "overallRating":
        checked = [_rating(item) for item in checked]
    if key == "careHome":
        checked = [item.upper() for item in checked]
        if not set(checked) <= _YES_NO:
            raise ValueError('careHome is "Y" or "N"')
    return list(dict.fromkeys(checked))


def _rating(value: str) -> str:
    words = {word.casefold(): word for word in (*SCALE, *NON_RATINGS)}
    if value.casefold() in words:
        return words[value.casefold()]
    hint = did_you_mean(value, words.values())
    listed = "" if hint else f"; ratings: {', '.join(words.values())}"
    raise ValueError(f"overallRating {value!r:.40} is not a CQC rating{hint}{listed}")


def _unknown_keys(unknown: list[str]) -> str:
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, list(FILTERS), n=1, cutoff=0.6)
        hints.append(f"{key!r} (did you mean {close[0]}?)" if close else repr(key))
    return (
        f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; a search takes "
        f"name and the filters of GET /locations: {', '.join(sorted(FILTERS))}"
    )
