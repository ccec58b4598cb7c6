"""Small Markdown functions shared by the reference pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

Warn = Callable[[str], None]

GENERATED = (
    "<!-- Generated from the code at build time (tools/docs_reference); edit the code, "
    "not this page. -->\n\n"
)


def cell(text: str) -> str:
    """Text that stays inside one table cell."""
    return " ".join(text.replace("|", "\\|").split())


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def code(text: str) -> str:
    return f"`{text}`"
