"""Human wording of changes, shared by event summaries and every sink."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def change_line(change: Mapping[str, Any]) -> str:
    """``Safe: Good → Requires improvement``; service-level ratings name their service."""
    label = change["question"]
    if change.get("service"):
        label = f"{change['service']} – {label}"
    old = change.get("old") or "no rating"
    new = change.get("new") or "no rating"
    return f"{label}: {old} → {new}"


def source_note(framework: str | None, published: str | None) -> str:
    """Where a new rating comes from: ``new assessment, published 2026-10-15``."""
    if framework is None:
        return ""
    kind = "new assessment" if framework == "assessment" else "inspection report"
    return f"{kind}, published {published}" if published else kind


def source_label(framework: str | None) -> str:
    """The label of a rating event's date in emails and chat messages."""
    return "Assessment published" if framework == "assessment" else "Report date"


def field_line(change: Mapping[str, Any]) -> str:
    return f"{change['field']}: {_value(change.get('old'))} → {_value(change.get('new'))}"


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
