"""Rendering rows for people (table) and programs (json, csv)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
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


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str], max_width: int = 70) -> str:
    if not rows:
        return "(nothing to show)"
    cells = [[_cell(row.get(c))[:max_width] for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def history_table(rows: Sequence[dict[str, Any]]) -> str:
    """``history`` for people: one line per snapshot, event, delivery or failed fetch."""
    table = [{"at": r["at"], "kind": r["kind"], "detail": history_detail(r)} for r in rows]
    return _table(table, ("at", "kind", "detail"), max_width=120)


def history_detail(row: dict[str, Any]) -> str:
    kind = row["kind"]
    if kind == "snapshot":
        ratings = ", ".join(f"{k}: {v}" for k, v in row["ratings"].items())
        return f"#{row['snapshot_id']} {row['registration_status'] or ''} {ratings}".strip()
    if kind == "event":
        return f"[{row['event']['severity']}] {row['event']['summary']}"
    if kind == "delivery":
        error = f" ({row['last_error']})" if row.get("last_error") else ""
        return f"{row['sink']}: {row['status']} after {row['attempts']} attempt(s){error}"
    return f"{row['source']} {row['outcome']} HTTP {row['http_status']}: {row['error']}"
