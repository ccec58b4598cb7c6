"""A digest as webhook bodies: one POST, or numbered parts when it would exceed the sink's
``digest_max_bytes``. Pure.

Each body is ``{"type": "digest", "timestamp", "data": {"id", "window_start", "window_end",
"part", "parts", "events": [...]}}``; each part has its own id (``<digest id>.<n>``, or the
digest's id when it is whole), and the split depends only on the digest and the limit, so a
retry sends the same parts with the same ids. An event larger than the limit on its own goes
alone in its part rather than being lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.domain.digest import part_key
from monitor.sinks.base import Digest

# Room for the part numbers in the envelope, whatever they turn out to be.
_LARGEST_PART = 999_999


@dataclass(frozen=True, slots=True)
class Part:
    webhook_id: str
    body: str


def digest_parts(digest: Digest, max_bytes: int) -> list[Part]:
    events = [_dumps(event.to_dict()) for event in digest.events]
    room = max_bytes - _size(_envelope(digest, [], _LARGEST_PART, _LARGEST_PART))
    groups: list[list[str]] = [[]]
    used = 0
    for event in events:
        size = _size(event) + (1 if groups[-1] else 0)  # the comma between events
        if groups[-1] and used + size > room:
            groups.append([])
            size = _size(event)
            used = 0
        groups[-1].append(event)
        used += size
    total = len(groups)
    return [
        Part(part_key(digest.key, number, total), _envelope(digest, group, number, total))
        for number, group in enumerate(groups, start=1)
    ]


def _envelope(digest: Digest, events: list[str], part: int, parts: int) -> str:
    data = {
        "id": digest.key,
        "window_start": _iso(digest.window_start),
        "window_end": _iso(digest.window_end),
        "part": part,
        "parts": parts,
        "events": "__EVENTS__",
    }
    payload: dict[str, Any] = {"type": "digest", "timestamp": _iso(digest.window_end), "data": data}
    if any(event.test for event in digest.events):
        payload["test"] = True
    # The events are serialised once, measured, and placed as they are.
    return _dumps(payload).replace('"__EVENTS__"', "[" + ",".join(events) + "]", 1)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
