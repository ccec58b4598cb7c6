"""``cqc-monitor source shape`` / ``source ack``, and the shape watch's part of ``status``.

Pure functions of what ``store.source_shape`` read, so they are tested with literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.domain.shape_catalogue import DOCUMENTED, KIND_NAMES, READ
from monitor.domain.source_events import CHANGE_WORDS
from monitor.domain.vocabulary import describe, is_known

PATH_COLUMNS = ("kind", "path", "documents", "share", "read", "documented")
VALUE_COLUMNS = ("vocabulary", "value", "documents", "known", "first_seen_at", "path")
_ACK = "cqc-monitor source ack"


def path_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per learned path: how many documents of its kind had it, and whether the
    monitor reads it (what the missing-field rule watches) or CQC documents it."""
    rows = []
    for kind, learned in report["kinds"].items():
        documents = learned["documents"]
        for entry in learned["paths"]:
            path = entry["path"]
            rows.append(
                {
                    "kind": kind,
                    "path": path,
                    "documents": entry["documents"],
                    "share": _share(entry["documents"], documents),
                    "read": path in READ.get(kind, ()),
                    "documented": path in DOCUMENTED.get(kind, ()),
                }
            )
    return rows


def value_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per value seen in an enumerated field, and whether the monitor knows it."""
    return [
        {
            "vocabulary": vocabulary,
            "value": entry["value"],
            "documents": entry["documents"],
            "known": is_known(vocabulary, entry["value"]),
            "first_seen_at": _iso(entry["first_seen_at"]),
            "path": entry["path"],
        }
        for vocabulary, entries in report["values"].items()
        for entry in entries
    ]


def shape_json(report: Mapping[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
    """``source shape --format json``: one object, times in ISO 8601."""
    return {
        "learned_at": _iso(report["learned_at"]),
        "documents": {kind: learned["documents"] for kind, learned in report["kinds"].items()},
        "paths": path_rows(report),
        "values": value_rows(report),
        "changes": [_change_json(change) for change in changes],
        "unacknowledged": report["unacknowledged"],
    }


def heading(report: Mapping[str, Any]) -> list[str]:
    """What ``source shape`` prints above its two tables."""
    learned = report["learned_at"]
    lines = [
        f"shape learned {_when(learned)} (the first full review)"
        if learned
        else "learning: the first full review learns the shape silently; nothing is reported yet"
    ]
    read = ", ".join(
        f"{KIND_NAMES.get(kind, kind)} {learned['documents']:,}"
        for kind, learned in report["kinds"].items()
    )
    lines.append(f"documents read: {read or 'none yet'}")
    if report["unacknowledged"]:
        lines.append(f"{report['unacknowledged']} change(s) not acknowledged ({_ACK})")
    return lines


def status_lines(section: Mapping[str, Any]) -> list[str]:
    """The ``status`` section: learning or learned, then the changes of the last 30 days."""
    if section["learned_at"] is None:
        return ["", "CQC data shape: learning (until the first full review completes)"]
    changes = section["changes"]
    head = f"CQC data shape: learned {_when(section['learned_at'])}"
    if not changes:
        return ["", head + "; no change in the last 30 days"]
    lines = ["", head + f"; changes ({_ACK} once the monitor's reading is checked):"]
    return lines + [f"  {change_line(change)}" for change in changes]


def attention(section: Mapping[str, Any]) -> list[str]:
    """Why ``status`` needs attention: changes nobody has acknowledged."""
    count = section["unacknowledged"]
    if not count:
        return []
    return [f"{count} change(s) in CQC's document shape not acknowledged ({_ACK})"]


def change_line(change: Mapping[str, Any]) -> str:
    """``2026-12-01 07:00:03Z new value rating 'Exceptional' at currentRatings.overall.rating
    (location documents; seen at 1-125856395) — not acknowledged``."""
    what = CHANGE_WORDS.get(change["change"], change["change"])
    if change["change"] == "value_added":
        subject = f"{describe(change['field'] or '')} {change['value']!r} at {change['path']}"
    else:
        subject = change["path"]
    seen = ", ".join(change["examples"][:3])
    where = KIND_NAMES.get(change["kind"], change["kind"]) + (f"; seen at {seen}" if seen else "")
    acked = (
        f"acknowledged {_when(change['acknowledged_at'])}"
        if change["acknowledged_at"]
        else "not acknowledged"
    )
    return f"{_when(change['first_seen_at'])} {what} {subject} ({where}) — {acked}"


def ack_message(count: int) -> str:
    if not count:
        return "no change of CQC's document shape is waiting to be acknowledged"
    return f"acknowledged {count} change(s) of CQC's document shape"


def _change_json(change: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _iso(value) if isinstance(value, datetime) else value for key, value in change.items()
    }


def _share(count: int, documents: int) -> str:
    return f"{count / documents:.1%}" if documents else ""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else ""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None
