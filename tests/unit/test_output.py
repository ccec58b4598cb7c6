"""What ``--format csv`` writes: cells a spreadsheet would run as formulas are made text."""

from __future__ import annotations

import csv
import io

import pytest

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
