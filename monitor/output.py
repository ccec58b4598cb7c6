"""Rendering rows for people (table) and programs (json, csv)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

FORMATS = ("table", "json", "csv")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); OWASP's
# advice is a leading single quote, which makes the cell text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *, raw: Any = None
) -> str:
    """``raw`` is what ``--format json`` prints (default: the rows themselves)."""
    if fmt == "json":
        return json.dumps(rows if raw is None else raw, indent=2, ensure_ascii=False, default=str)
    if fmt == "csv":
        return _csv(rows, columns)
    return _table(rows, columns)


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    lines = [_csv_line(columns)]
    lines += [_csv_line([_csv_cell(row.get(column)) for column in columns]) for row in rows]
    return "\n".join(lines)


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    # The writer quotes only cells holding a character of its line terminator: with "\r\n" a
    # lone carriage return is quoted too instead of splitting the row. Rows still end in "\n".
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().removesuffix("\r\n")


def _csv_cell(value: Any) -> str:
    text = _cell(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """An aligned table as wide as the terminal (``COLUMNS`` wins); long cells wrap between
    words, and a word too long for its column ends in ``…`` — a rating word never does."""
    if not rows:
        return "(nothing to show)"
    # rich only for a table: JSON and CSV, and every command that prints neither, go without.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    width = _width()
    if _needed(cells, columns) > width:
        return _stacked(cells, columns, width)
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="")
    for index, column in enumerate(columns):
        values = [r[index] for r in cells]
        whole = _never_cut(values)
        table.add_column(
            column.upper(),
            overflow="fold" if whole else "ellipsis",
            min_width=whole or _longest_rating(values) or min(_MIN_TEXT, _longest(values)),
            no_wrap=bool(whole),
        )
    for row in cells:
        table.add_row(*(Text(value) for value in row))
    console = Console(width=width, no_color=True, highlight=False, emoji=False, markup=False)
    with console.capture() as captured:
        console.print(table, soft_wrap=False)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").splitlines())


def _width() -> int:
    """``COLUMNS``, else the terminal's width; piped output is not wrapped (grep finds lines)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return _UNLIMITED


_UNLIMITED = 10_000
_RATING_WORDS = ("Outstanding", "Good", "Requires", "improvement", "Inadequate", "Well-led")


# An id or a moment is useless cut: "2025-11-06T07:…" or "1-1000…" is no longer found anywhere.
_WHOLE = re.compile(
    r"^(?:\d+|1-\d+|[A-Z][A-Z0-9]{2,9}|evt_[0-9a-f]+|\d{4}-\d\d-\d\d(?:[T ][\d:.]+Z?)?)$"
)


def _never_cut(values: Sequence[str]) -> int | None:
    """The width of a column of ids or dates (each kept whole, the other columns wrap), or
    None for any other column."""
    shown = [value for value in values if value]
    if not shown or not all(_WHOLE.match(value) for value in shown):
        return None
    return max(len(value) for value in shown)


_MIN_TEXT = 6  # a text column squeezed narrower than this says nothing


def _needed(cells: Sequence[Sequence[str]], columns: Sequence[str]) -> int:
    """The narrowest a table can be with every id and date whole and every text column
    readable (headers included: a cut header names nothing)."""
    total = 2 * (len(columns) - 1)
    for index, column in enumerate(columns):
        values = [row[index] for row in cells]
        whole = _never_cut(values)
        total += max(len(column), whole or min(_MIN_TEXT, _longest(values)))
    return total


def _stacked(cells: Sequence[Sequence[str]], columns: Sequence[str], width: int) -> str:
    """Too narrow for a table without cutting an id or a date: one block per row, a line per
    column (``NAME  value``), long values wrapped, nothing cut."""
    import textwrap

    label = max(len(column) for column in columns) + 2
    blocks = []
    for row in cells:
        lines = []
        for column, value in zip(columns, row, strict=True):
            wrapped = textwrap.wrap(value, max(width - label, 20), break_long_words=False)
            lines.append(column.upper().ljust(label) + (wrapped[0] if wrapped else ""))
            lines += [" " * label + more for more in wrapped[1:]]
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)


def _longest(values: Sequence[str]) -> int:
    return max((len(value) for value in values), default=1) or 1


def _longest_rating(values: Iterable[str]) -> int | None:
    """A column holding ratings is never narrower than its longest rating word."""
    longest = max(
        (len(word) for value in values for word in _RATING_WORDS if word in value), default=0
    )
    return longest or None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


# The columns an event's findings fill (SPEC §5.3): empty for an event without findings, as
# for one whose report text is not read yet.
FINDINGS_COLUMNS = (
    "breaches",
    "special_measures",
    "enforcement",
    "regulations",
    "findings_source",
)
# The changes CSV, the same from ``changes --format csv`` and the dashboard's download: one
# row per event, as delivered.
CHANGES_CSV_COLUMNS = (
    "detected_at",
    "severity",
    "type",
    "location_id",
    "location",
    "provider_id",
    "provider",
    "summary",
    "id",
    *FINDINGS_COLUMNS,
)
# A spreadsheet opens a file as UTF-8 only when it starts with the byte order mark
# (otherwise "Réfé" and "→" come out garbled).
BOM = "\ufeff"


def changes_csv(events: Iterable[dict[str, Any]]) -> str:
    """Events (as delivered) as the changes CSV: one row per event, dates as ISO 8601 text,
    UTF-8 with a byte order mark once encoded, formula-looking cells neutralised."""
    rows = [_change_row(event) for event in events]
    return BOM + _csv(rows, CHANGES_CSV_COLUMNS) + "\n"


def _change_row(event: dict[str, Any]) -> dict[str, Any]:
    location = _part(event, "location")
    # An event about a provider's own ratings has no location: the provider names itself.
    provider = _part(event, "provider")
    return {
        "detected_at": event.get("detected_at"),
        "severity": event.get("severity"),
        "type": event.get("type"),
        "location_id": location.get("id"),
        "location": location.get("name"),
        "provider_id": location.get("provider_id") or provider.get("id"),
        "provider": provider.get("name"),
        "summary": event.get("summary"),
        "id": event.get("id"),
        **findings_cells(event_findings(event)),
    }


def _part(event: dict[str, Any], key: str) -> dict[str, Any]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def event_findings(event: dict[str, Any]) -> Any:
    """An event's ``details.findings`` (None for an event without them)."""
    details = event.get("details")
    return details.get("findings") if isinstance(details, dict) else None


def findings_cells(found: Any) -> dict[str, Any]:
    """Findings (an event's ``details.findings``, a history row's ``findings``) as flat cells
    for a spreadsheet, lists joined with "; "; empty cells for none."""
    if not isinstance(found, dict):
        return dict.fromkeys(FINDINGS_COLUMNS)
    return {
        "breaches": found.get("breaches"),
        "special_measures": found.get("special_measures"),
        "enforcement": "; ".join(found.get("enforcement") or ()) or None,
        "regulations": "; ".join(found.get("regulations") or ()) or None,
        "findings_source": found.get("source"),
    }


def history_table(rows: Sequence[dict[str, Any]]) -> str:
    """``history`` for people: one line per snapshot, event, delivery or failed fetch."""
    table = [{"at": r["at"], "kind": r["kind"], "detail": history_detail(r)} for r in rows]
    return _table(table, ("at", "kind", "detail"))


def report_text_detail(row: dict[str, Any]) -> str:
    """``report 2025-11-04 read (report_text, 48,120 characters): 3 breaches of regulation``."""
    found = row.get("findings")
    what = f"report {row.get('report_date') or row.get('link_id')} {row.get('status')}"
    if isinstance(found, dict):
        chars = row.get("text_chars") or 0
        return f"{what} ({found.get('source')}, {chars:,} characters): {row.get('findings_line')}"
    error = f": {row['error']}" if row.get("error") else ""
    return f"{what} after {row.get('attempts')} attempt(s){error}"


def history_detail(row: dict[str, Any]) -> str:
    kind = row["kind"]
    if kind == "snapshot":
        ratings = ", ".join(f"{k}: {v}" for k, v in row["ratings"].items())
        return f"#{row['snapshot_id']} {row['registration_status'] or ''} {ratings}".strip()
    if kind == "event":
        return f"[{row['event']['severity']}] {row['event']['summary']}"
    if kind == "report_text":
        return report_text_detail(row)
    if kind == "delivery":
        error = f" ({row['last_error']})" if row.get("last_error") else ""
        event = f"{row.get('event_type') or 'event'} {row['event_id']}"
        attempts = f"{row['status']} after {row['attempts']} attempt(s)"
        return f"{event} to {row['sink']}: {attempts}{error}"
    return f"{row['source']} {row['outcome']} HTTP {row['http_status']}: {row['error']}"
