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


_MEASURES = {
    "placed": "special measures",
    "remains": "still in special measures",
    "removed": "out of special measures",
}
_ACTIONS = {
    "warning_notice": "warning notice",
    "urgent_action": "urgent action",
    "conditions": "conditions on registration",
    "suspension": "registration suspended",
    "cancellation": "cancellation of registration",
    "prosecution": "prosecution",
    "fixed_penalty": "fixed penalty notice",
    "requirement_notice": "requirement notice",
}


def findings_line(findings: Mapping[str, Any]) -> str:
    """``8 breaches of regulation · special measures · urgent action``; "" when the report
    names no breach, special measures or enforcement."""
    parts = []
    breaches = findings.get("breaches")
    if isinstance(breaches, int) and not isinstance(breaches, bool):
        noun = "breach" if breaches == 1 else "breaches"
        parts.append(f"{breaches or 'no'} {noun} of regulation")
    if (state := findings.get("special_measures")) in _MEASURES:
        parts.append(_MEASURES[str(state)])
    parts += [_ACTIONS[a] for a in findings.get("enforcement") or () if a in _ACTIONS]
    return " · ".join(parts)


def field_line(change: Mapping[str, Any]) -> str:
    return f"{change['field']}: {_value(change.get('old'))} → {_value(change.get('new'))}"


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
