"""What the shape watch decides (SPEC §2.1.3): which paths and values are new, and which paths
the monitor reads have stopped appearing (``source_events`` words the event that says so).

Known = what CQC documents (``shape_catalogue.DOCUMENTED``, the vocabularies) plus what this
deployment has learned. A cycle's ``ShapeTally`` counts the documents it reads by path set and
by value, notes what is not known (with up to five example ids each) and, at the end of a
cycle, which read paths went missing:

- a path the monitor reads is **missing** when it was in more than 95 % of the documents of its
  kind read before (at least ``MIN_DOCUMENTS`` of them) and is in fewer than half of the
  documents of that kind read in one cycle that read at least ``MIN_DOCUMENTS``. Three is the
  smallest sample in which "under half" takes a clear majority (two of three), so a
  three-location watchlist's monthly review can raise it while a poll that reads one or two
  changed documents cannot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.domain.shape import Reading
from monitor.domain.shape_catalogue import DOCUMENTED, READ
from monitor.domain.vocabulary import VOCABULARIES, is_known, value_key

MIN_DOCUMENTS = 3
PRESENT_BEFORE = 0.95
ABSENT_NOW = 0.5
MAX_EXAMPLES = 5

PATH_ADDED, PATH_MISSING, VALUE_ADDED = "path_added", "path_missing", "value_added"


@dataclass(frozen=True, slots=True)
class Novelty:
    """One thing about CQC's documents the monitor did not know."""

    change: str  # path_added | path_missing | value_added
    kind: str  # the kind of document it was seen in
    path: str
    field: str | None = None  # value_added: the vocabulary
    value: str | None = None  # value_added: the value as first seen
    before: float | None = None  # path_missing: share of documents with it before
    now: float | None = None  # path_missing: share in the cycle that missed it

    @property
    def key(self) -> str:
        """Unique per deployment: the same novelty is reported once, whoever sees it."""
        if self.change == VALUE_ADDED:
            assert self.field is not None and self.value is not None
            return f"{VALUE_ADDED}:{self.field}:{value_key(self.field, self.value)}"
        return f"{self.change}:{self.kind}:{self.path}"


@dataclass(frozen=True, slots=True)
class Counts:
    """Documents of one kind read, and how many of them had each path."""

    documents: int = 0
    paths: Mapping[str, int] = field(default_factory=dict)

    def share(self, path: str) -> float:
        return self.paths.get(path, 0) / self.documents if self.documents else 0.0


class Known:
    """What the monitor knows: the documented shape and vocabularies, plus what was learned."""

    def __init__(
        self, paths: Mapping[str, Iterable[str]], values: Mapping[str, Iterable[str]]
    ) -> None:
        self._paths = {kind: set(DOCUMENTED.get(kind, ())) for kind in (*DOCUMENTED, *paths)}
        for kind, learned in paths.items():
            self._paths[kind].update(learned)
        self._values: dict[str, set[str]] = {name: set() for name in VOCABULARIES}
        for name, learned in values.items():
            self._values.setdefault(name, set()).update(value_key(name, v) for v in learned)
        self.version = 0  # moves whenever something becomes known

    def new_paths(self, kind: str, paths: frozenset[str]) -> frozenset[str]:
        return paths.difference(self._paths.setdefault(kind, set()))

    def is_new_value(self, vocabulary: str, value: str) -> bool:
        if is_known(vocabulary, value):
            return False
        return value_key(vocabulary, value) not in self._values.setdefault(vocabulary, set())

    def learn(self, novelties: Iterable[Novelty]) -> None:
        for novelty in novelties:
            if novelty.change == PATH_ADDED:
                self._paths.setdefault(novelty.kind, set()).add(novelty.path)
            elif novelty.change == VALUE_ADDED:
                assert novelty.field is not None and novelty.value is not None
                key = value_key(novelty.field, novelty.value)
                self._values.setdefault(novelty.field, set()).add(key)
        self.version += 1


@dataclass(slots=True)
class _Kind:
    documents: int = 0
    sets: Counter[frozenset[str]] = field(default_factory=Counter)
    examples: dict[frozenset[str], list[str]] = field(default_factory=dict)


def _counts(documents: int, sets: Mapping[frozenset[str], int]) -> Counts:
    paths: Counter[str] = Counter()
    for path_set, count in sets.items():
        for path in path_set:
            paths[path] += count
    return Counts(documents, paths)


@dataclass(slots=True)
class Fresh:
    """What was read since counts were last written: the store adds it to its counts."""

    kinds: dict[str, Counts]
    values: Mapping[tuple[str, str], int]  # (vocabulary, value) → documents
    paths_of_values: Mapping[tuple[str, str], str]  # where each value was seen

    def __bool__(self) -> bool:
        return bool(self.kinds)


class ShapeTally:
    """The documents one cycle has read, and what was new in them.

    ``learning``: the first full review is learning silently; nothing is new then.
    """

    def __init__(self, known: Known, *, learning: bool) -> None:
        self.known = known
        self.learning = learning
        self._kinds: dict[str, _Kind] = {}  # the whole cycle
        self._values: Counter[tuple[str, str]] = Counter()  # (vocabulary, value) → documents
        self._value_paths: dict[tuple[str, str], str] = {}  # a path where each value was seen
        # What the counts held when they were last handed over to be written.
        self._written: dict[str, tuple[int, Counter[frozenset[str]]]] = {}
        self._written_values: Counter[tuple[str, str]] = Counter()
        # Not known, not yet recorded: novelty key → (novelty, example ids)
        self.pending: dict[str, tuple[Novelty, list[str]]] = {}
        self._checked_values: set[tuple[str, str]] = set()
        self._pending_values: set[tuple[str, str]] = set()
        self._new: dict[tuple[str, frozenset[str]], tuple[int, frozenset[str]]] = {}

    def add(self, kind: str, document_id: str, reading: Reading) -> None:
        paths, values = reading.paths, reading.values
        tally = self._kinds.get(kind) or self._kinds.setdefault(kind, _Kind())
        tally.documents += 1
        tally.sets[paths] += 1
        examples = tally.examples.get(paths)
        if examples is None:
            tally.examples[paths] = [document_id]
        elif len(examples) < MAX_EXAMPLES:
            examples.append(document_id)
        self._values.update(iter(values))
        self._value_paths.update(values)
        if self.learning:
            return
        unseen = values.keys() - self._checked_values
        for key in unseen:
            self._checked_values.add(key)
            self._check_value(kind, key, values[key])
        for path in self._new_paths(kind, paths):
            self._note(Novelty(PATH_ADDED, kind, path), document_id)
        if self._pending_values:
            for key in self._pending_values.intersection(values):
                self._note(Novelty(VALUE_ADDED, kind, values[key], *key), document_id)

    def _new_paths(self, kind: str, paths: frozenset[str]) -> frozenset[str]:
        """The paths of a path set not known yet; worked out once per set and known state."""
        cached = self._new.get((kind, paths))
        if cached is None or cached[0] != self.known.version:
            cached = (self.known.version, self.known.new_paths(kind, paths))
            self._new[(kind, paths)] = cached
        return cached[1]

    def _check_value(self, kind: str, key: tuple[str, str], path: str) -> None:
        if not self.known.is_new_value(*key):
            return
        self._pending_values.add(key)
        self._note(Novelty(VALUE_ADDED, kind, path, *key), None)

    def _note(self, novelty: Novelty, example: str | None) -> None:
        held = self.pending.get(novelty.key)
        if held is None:
            held = self.pending[novelty.key] = (novelty, [])
        if example is not None and example not in held[1] and len(held[1]) < MAX_EXAMPLES:
            held[1].append(example)

    def missing(self, before: Mapping[str, Counts]) -> list[tuple[Novelty, list[str]]]:
        """Read paths that stopped appearing in this cycle (see the module's rule), with
        documents that lack them as examples."""
        if self.learning:
            return []
        found = []
        for kind, tally in self._kinds.items():
            prior = before.get(kind, Counts())
            if tally.documents < MIN_DOCUMENTS or prior.documents < MIN_DOCUMENTS:
                continue
            now = _counts(tally.documents, tally.sets)
            for path in sorted(READ.get(kind, ())):
                share = now.share(path)
                if prior.share(path) > PRESENT_BEFORE and share < ABSENT_NOW:
                    novelty = Novelty(PATH_MISSING, kind, path, before=prior.share(path), now=share)
                    lacking = [i for s, ids in tally.examples.items() if path not in s for i in ids]
                    found.append((novelty, lacking[:MAX_EXAMPLES]))
        return found

    def take(self) -> list[tuple[Novelty, list[str]]]:
        """The pending novelties, handed over to be recorded (they are known from now on)."""
        taken = list(self.pending.values())
        self.pending.clear()
        self._pending_values.clear()
        if taken:
            self.known.learn(novelty for novelty, _ in taken)
        return taken

    def hold(self, novelties: Sequence[tuple[Novelty, list[str]]]) -> None:
        """Novelties to record at the next write: found at the end of a cycle, or not recorded
        when the database failed."""
        for novelty, examples in novelties:
            self.pending.setdefault(novelty.key, (novelty, list(examples)))
            if novelty.change == VALUE_ADDED and novelty.field and novelty.value:
                self._pending_values.add((novelty.field, novelty.value))

    def fresh(self) -> Fresh:
        """What was read since the last call: its counts are to be written now."""
        kinds = {}
        for kind, tally in self._kinds.items():
            documents, sets = self._written.get(kind, (0, Counter()))
            if tally.documents > documents:
                kinds[kind] = _counts(tally.documents - documents, tally.sets - sets)
            self._written[kind] = (tally.documents, Counter(tally.sets))
        values = self._values - self._written_values
        self._written_values = Counter(self._values)
        paths = {key: self._value_paths[key] for key in values}
        return Fresh(kinds, dict(values), paths)

    def documents(self, kind: str) -> int:
        """Documents of a kind read in this cycle."""
        tally = self._kinds.get(kind)
        return tally.documents if tally else 0

    @property
    def unwritten(self) -> int:
        """Documents read since counts were last written."""
        return sum(
            tally.documents - self._written.get(kind, (0, None))[0]
            for kind, tally in self._kinds.items()
        )


def page_example(kind: str, doc: Mapping[str, Any]) -> str:
    """The id a page or provider document is known by in examples: the first location it
    lists (a provider's first location, a list page's first item, a feed page's first id)."""
    if kind == "provider":
        ids: Any = doc.get("locationIds")
    elif kind == "list_page":
        items = doc.get("locations")
        ids = [i.get("locationId") for i in items[:1] if isinstance(i, dict)] if items else []
    else:
        ids = doc.get("changes")
    first = ids[0] if isinstance(ids, list) and ids else None
    if isinstance(first, str):
        return first[:32]
    return str(doc.get("providerId") or kind)[:32]
