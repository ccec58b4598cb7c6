"""CQC changing the shape of its documents without notice: a key added to every location
document (or to some), a key dropped, served from the next request on.

A path is written as the shape watch reports it: dots between keys, ``[]`` after a list whose
every element is meant (``currentRatings.overall.keyQuestionRatings[].scoreBand``). Adding
creates the objects on the way when they are missing; a list on the way that is missing is
left alone (there is no element to add to).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reshape:
    add: Mapping[str, Any] = field(default_factory=dict)  # path → value
    drop: tuple[str, ...] = ()
    only: frozenset[str] | None = None  # location ids; None: every location

    def applies_to(self, location_id: str) -> bool:
        return self.only is None or location_id in self.only


def reshaped(doc: Doc, reshape: Reshape) -> Doc:
    """A copy of ``doc`` with the keys added and dropped."""
    doc = copy.deepcopy(doc)
    for path, value in reshape.add.items():
        *parents, leaf = path.split(".")
        for holder in _holders(doc, parents, create=True):
            holder[leaf] = copy.deepcopy(value)
    for path in reshape.drop:
        *parents, leaf = path.split(".")
        for holder in _holders(doc, parents, create=False):
            holder.pop(leaf, None)
    return doc


def _holders(node: Any, steps: list[str], *, create: bool) -> Iterator[dict[str, Any]]:
    """The objects at the end of ``steps`` (several when a step goes through a list)."""
    if not isinstance(node, dict):
        return
    if not steps:
        yield node
        return
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[]")
    if step.endswith("[]"):
        for item in node.get(key) or []:
            yield from _holders(item, rest, create=create)
        return
    if key not in node and create:
        node[key] = {}
    yield from _holders(node.get(key), rest, create=create)
