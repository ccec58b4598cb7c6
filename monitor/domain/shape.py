"""The shape of one decoded document: its key paths and the values of its enumerated fields.

``ShapeReader.read`` walks a document iteratively (no recursion, so a document nested 500 deep
costs a loop, not the stack) and keeps every path string it builds: the next document with the
same keys under the same parent reuses them. Path sets are interned, so the thousands of
documents of a cycle share a few hundred sets and a cycle's tally counts sets, not paths.

Hostile documents are bounded: nothing deeper than ``MAX_DEPTH`` containers, no path longer
than ``MAX_PATH`` characters, at most ``MAX_KEYS`` keys of one object and about ``MAX_PATHS``
paths per document, and the caches stop
growing at ``MAX_CACHED`` paths and ``MAX_SETS`` path sets (the walk still works, only slower).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import islice
from typing import Any

from monitor.domain.vocabulary import field_of

MAX_DEPTH = 32
MAX_PATH = 250
MAX_PATHS = 2_000
MAX_KEYS = 1_000  # keys read of one object (CQC's largest has about 60)
MAX_CACHED = 50_000
MAX_SETS = 5_000
MAX_VALUE = 200

# (vocabulary, the value as seen) → the path where the document shows it first
Values = dict[tuple[str, str], str]


@dataclass(frozen=True, slots=True)
class Reading:
    """One document's shape: its key paths (an interned set, shared by every document of the
    same shape) and the values of its enumerated fields."""

    paths: frozenset[str]
    values: Values


_SKIP: tuple[str | None, str | None] = (None, None)  # a key whose path is too long to keep


class ShapeReader:
    """Reads document shapes, keeping the path strings and path sets it has built."""

    def __init__(self) -> None:
        # parent path → key → (path, vocabulary of the field or None)
        self._children: dict[str, dict[str, tuple[str | None, str | None]]] = {}
        self._items: dict[str, str] = {}  # array path → its items' path ("a" → "a[]")
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        self._cached = 0

    def read(self, doc: Any) -> Reading:
        found, values = self._walk(doc)
        paths = frozenset(found)
        shared = self._sets.get(paths)
        if shared is None:
            shared = paths
            if len(self._sets) < MAX_SETS:
                self._sets[paths] = paths
        return Reading(shared, values)

    def _walk(self, doc: Any) -> tuple[set[str], Values]:
        found: set[str] = set()
        add = found.add
        values: Values = {}
        keep = values.setdefault
        stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
        pop, push = stack.pop, stack.append
        children, items = self._children, self._items
        while stack:
            node, prefix, depth = pop()
            if type(node) is dict:
                table = children.get(prefix)
                if table is None:
                    table = self._table(prefix)
                pairs = node.items() if len(node) <= MAX_KEYS else islice(node.items(), MAX_KEYS)
                for key, value in pairs:
                    entry = table.get(key)
                    if entry is None:
                        entry = self._entry(table, prefix, key)
                    path, field = entry
                    if path is None:
                        continue
                    add(path)
                    kind = type(value)
                    if kind is dict or kind is list:
                        if depth < MAX_DEPTH:
                            push((value, path, depth + 1))
                    elif field is not None and value is not None and value != "":
                        text = value if kind is str and len(value) <= MAX_VALUE else _text(value)
                        keep((field, text), path)
                if len(found) > MAX_PATHS:
                    break
            elif type(node) is list:
                inner = items.get(prefix)
                if inner is None:
                    inner = self._inner(prefix)
                for value in node:
                    kind = type(value)
                    if (kind is dict or kind is list) and depth < MAX_DEPTH:
                        push((value, inner, depth + 1))
        return found, values

    def _table(self, prefix: str) -> dict[str, tuple[str | None, str | None]]:
        table: dict[str, tuple[str | None, str | None]] = {}
        if self._room(1):
            self._children[prefix] = table
        return table

    def _entry(
        self, table: dict[str, tuple[str | None, str | None]], prefix: str, key: str
    ) -> tuple[str | None, str | None]:
        path = f"{prefix}.{key}" if prefix else key
        entry: tuple[str | None, str | None] = (
            _SKIP if len(path) > MAX_PATH else (path, field_of(path))
        )
        if self._room(1):
            table[key] = entry
        return entry

    def _inner(self, prefix: str) -> str:
        inner = prefix + "[]"
        if self._room(1):
            self._items[prefix] = inner
        return inner

    def _room(self, wanted: int) -> bool:
        """Whether the caches may grow: a stream of hostile documents must not fill memory."""
        if self._cached + wanted > MAX_CACHED:
            return False
        self._cached += wanted
        return True


def _text(value: Any) -> str:
    """A long text cut short; a number or a boolean where a label belongs (a change of shape)
    kept as its JSON."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
