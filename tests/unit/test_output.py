"""What ``--format csv`` writes: cells a spreadsheet would run as formulas are made text."""

from __future__ import annotations

import csv
import io

import pytest

from monitor.cli.audit import ALERT_COLUMNS
from monitor.output import render


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/","Click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tindented",
        "\rreturn",
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_csv_cells_that_a_spreadsheet_would_evaluate_start_with_a_quote(value: str) -> None:
    rows = csv_rows(render([{"name": value, "n": 3}], ("name", "n"), "csv"))
    assert rows == [["name", "n"], ["'" + value, "3"]]


def test_csv_leaves_ordinary_cells_and_other_formats_alone() -> None:
    row = {"name": "Henley House", "summary": "Overall = Good", "when": "2026-01-31"}
    assert csv_rows(render([row], tuple(row), "csv"))[1] == list(row.values())
    formula = {"name": "=1+1"}
    assert '"=1+1"' in render([formula], ("name",), "json")
    assert "=1+1" in render([formula], ("name",), "table").splitlines()[1]


def test_tables_fit_columns_and_never_cut_a_rating_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    row = {
        "location": "Henley House",
        "summary": "Overall: Good → Requires improvement; Well-led: Good → Inadequate",
    }
    lines = render([row], tuple(row), "table").splitlines()
    assert all(len(line) <= 60 for line in lines)
    text = " ".join(lines)
    for word in ("Requires", "improvement", "Well-led", "Inadequate"):
        assert word in text
    assert "Inade " not in text and "Well- " not in text


def test_a_word_too_long_for_its_column_ends_in_an_ellipsis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    row = {"id": "1-10000302982", "error": "x" * 80}
    lines = render([row], tuple(row), "table").splitlines()
    assert all(len(line) <= 30 for line in lines)
    assert "…" in lines[1] and "1-10000302982" in lines[1]


def test_without_a_terminal_or_columns_lines_are_not_wrapped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    row = {"summary": "word " * 60}
    assert len(render([row], ("summary",), "table").splitlines()) == 2


def test_at_80_columns_an_alerts_table_never_cuts_an_id_or_a_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {
            "id": 12345,
            "created_at": "2025-11-06T07:00:00Z",
            "sink": "pager-webhook",
            "status": "dead",
            "attempts": 1,
            "next_attempt_at": "2025-11-06T08:30:00Z",
            "event_type": "registration_changed",
            "location_id": "1-10000302982",
            "last_error": "sink disabled: its receiver answered 410 Gone (endpoint removed)",
        }
    ]
    table = render(rows, ALERT_COLUMNS, "table")
    assert max(len(line) for line in table.splitlines()) <= 80
    for whole in ("12345", "2025-11-06T07:00:00Z", "2025-11-06T08:30:00Z", "1-10000302982"):
        assert whole in table, table
