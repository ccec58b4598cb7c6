"""Wording of ``source_changed`` for every sink (see ``text``): what CQC changed in its
documents, and what the operator can do about it."""

from __future__ import annotations

from typing import Any

from monitor.domain.events import Event
from monitor.domain.shape_catalogue import KIND_NAMES
from monitor.domain.vocabulary import describe


def source_headline(event: Event) -> str:
    """``CQC changed its location documents (2 new fields, 1 new value)``."""
    details = event.details
    counts = [
        _count(len(details.get("paths_added") or []), "new field"),
        _count(len(details.get("paths_missing") or []), "missing field"),
        _count(len(details.get("values_added") or []), "new value"),
    ]
    shown = ", ".join(count for count in counts if count)
    return f"CQC changed its {KIND_NAMES.get(str(details.get('kind')), 'documents')} ({shown})"


def source_lines(event: Event) -> list[tuple[str, str]]:
    """(label, value) pairs: each new field, missing field and new value, then examples."""
    details = event.details
    lines = [("New field", str(path)) for path in details.get("paths_added") or []]
    lines += [("Field no longer present", str(path)) for path in details.get("paths_missing") or []]
    lines += [_value_line(value) for value in details.get("values_added") or []]
    if details.get("examples"):
        lines.append(("Seen at", ", ".join(str(i) for i in details["examples"])))
    lines.append(("What to do", "check the monitor's reading, then: cqc-monitor source ack"))
    return lines


def _value_line(value: dict[str, Any]) -> tuple[str, str]:
    label = f"New {describe(str(value.get('field') or 'value'))}"
    return (label, f"{value.get('value')!r} at {value.get('path')}")


def _count(number: int, label: str) -> str:
    return f"{number} {label}{'s' if number != 1 else ''}" if number else ""
