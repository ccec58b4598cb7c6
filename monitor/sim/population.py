"""The simulated register: locations and providers, with compact state and cached bodies.

Each generated location is a handful of values (ids, hospital record, template, seed); its
document is rendered on demand and its JSON kept in a bounded cache. A location becomes a full
document of its own only once something mutates it. Not thread-safe: ``SimulatedCqc`` calls it
under its lock.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.sim import documents, pages, resources
from monitor.sim.cache import BodyCache
from monitor.sim.feed import ChangeFeed
from monitor.sim.reshape import Reshape, reshaped

Doc = dict[str, Any]


@dataclass(slots=True, eq=False)
class _Entry:
    location_id: str
    provider_id: str
    name: str
    postcode: str
    record: int = -1  # index into resources.hospitals(); -1 for a location given as a document
    template: int = 0
    seed: int = 0
    doc: Doc | None = None  # set once the location has a document of its own
    reviews: list[str] = field(default_factory=list)  # website-only monthly data reviews


@dataclass(slots=True, eq=False)
class _Provider:
    provider_id: str
    name: str
    record: int
    location_ids: list[str] = field(default_factory=list)
    # Its own part of /providers/{id}: ratings, reports, NHS trust identity (sim.providers).
    own: Doc = field(default_factory=dict)


def _dumps(doc: Doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _new_id(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = f"1-{rng.randrange(10**9, 10**11)}"
        if candidate not in used:
            used.add(candidate)
            return candidate


def _hospital_order(rng: random.Random) -> list[int]:
    """Hospital records in a seeded order, the seed location of the SPEC first."""
    records = resources.hospitals()
    order = list(range(len(records)))
    rng.shuffle(order)
    seed = next(
        i for i, r in enumerate(records) if r["cqcLocationId"] == resources.SEED_HOSPITAL_ID
    )
    order.remove(seed)
    return [seed, *order]


class Population:
    """Locations and the providers grouping them. Build with ``generate`` or ``from_documents``."""

    def __init__(self, *, cache_bytes: int = 16 * 1024 * 1024) -> None:
        self._entries: dict[str, _Entry] = {}
        self._providers: dict[str, _Provider] = {}
        self._order: list[str] | None = None
        self._cache = BodyCache(cache_bytes)
        self._raw: dict[str, bytes] = {}  # bodies served as given, for hostile-input tests
        self._reshapes: list[Reshape] = []  # CQC's changes of shape, applied when rendering
        # Providers whose own document changed, beside those whose locations did.
        self.provider_changes = ChangeFeed()
        # Values of the /locations filters per location (sim.search), and a counter of
        # changes to the register, so a filtered list is built once between changes.
        self.search_facts: dict[str, dict[str, frozenset[str]]] = {}
        self.version = 0

    @classmethod
    def generate(cls, size: int, seed: int = 0) -> Population:
        """``size`` locations, deterministic for a given ``seed``.

        The three real documents come first (verbatim), then Alliance Medical Harley Street
        (1-201307300), then locations built from the hospital export; past its 2,854 records
        the records are reused under new ids, numbered names and new provider ids.
        """
        population = cls()
        for doc in resources.templates()[:size]:
            population.add(copy.deepcopy(doc))
        rng = random.Random(seed)
        records = resources.hospitals()
        used = {r["cqcLocationId"] for r in records} | {r["cqcProviderId"] for r in records}
        used.update(population._entries, population._providers)
        providers: dict[tuple[str, int], str] = {}
        order = _hospital_order(rng)
        for number in range(size - len(population)):
            cycle, position = divmod(number, len(order))
            population._add_generated(order[position], cycle, rng, used, providers)
        return population

    @classmethod
    def from_documents(
        cls, docs: Iterable[Doc], *, provider_names: Mapping[str, str] | None = None
    ) -> Population:
        """A population serving exactly these documents (deep-copied)."""
        population = cls()
        for doc in docs:
            name = (provider_names or {}).get(doc.get("providerId", ""))
            population.add(copy.deepcopy(doc), provider_name=name)
        return population

    def _add_generated(
        self,
        index: int,
        cycle: int,
        rng: random.Random,
        used: set[str],
        providers: dict[tuple[str, int], str],
    ) -> None:
        record = resources.hospitals()[index]
        name, provider_id = record["hospitalName"], record["cqcProviderId"]
        location_id = record["cqcLocationId"]
        provider_name = record["providerName"]
        if cycle:  # a record reused: new ids, and numbered names so places stay distinguishable
            location_id = _new_id(rng, used)
            key = (provider_id, cycle)
            provider_id = providers.get(key) or providers.setdefault(key, _new_id(rng, used))
            name, provider_name = f"{name} ({cycle + 1})", f"{provider_name} ({cycle + 1})"
        template = (0 if rng.random() < 0.5 else 1) if record["ratingDate"] else 2
        entry = _Entry(location_id, provider_id, name, record["postalCode"], index, template)
        entry.seed = rng.getrandbits(32)
        self._attach(entry, provider_name, index)

    def _attach(self, entry: _Entry, provider_name: str, record: int) -> None:
        if entry.location_id in self._entries:
            raise ValueError(f"duplicate location id {entry.location_id}")
        self._entries[entry.location_id] = entry
        provider = self._providers.get(entry.provider_id)
        if provider is None:
            provider = _Provider(entry.provider_id, provider_name, record)
            self._providers[entry.provider_id] = provider
        provider.location_ids.append(entry.location_id)
        self._order = None
        self.version += 1

    # --- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._entries

    def ids(self) -> Sequence[str]:
        """Location ids in register order (the order of the paged list)."""
        if self._order is None:
            self._order = list(self._entries)
        return self._order

    def summary(self, location_id: str) -> tuple[str, str]:
        """(name, postcode), as the paged list shows them."""
        entry = self._entries[location_id]
        return entry.name, entry.postcode

    def view(self, location_id: str) -> Doc:
        """The current document, read-only (it may share objects with a template)."""
        doc = self._document(location_id)
        for reshape in self._reshapes:
            if reshape.applies_to(location_id):
                doc = reshaped(doc, reshape)
        return doc

    def _document(self, location_id: str) -> Doc:
        entry = self._entries[location_id]
        if entry.doc is not None:
            return entry.doc
        identity = documents.Identity(
            entry.location_id,
            entry.provider_id,
            self._providers[entry.provider_id].name,
            entry.name,
            entry.seed,
        )
        template = resources.templates()[entry.template]
        return documents.generated(template, resources.hospitals()[entry.record], identity)

    def document(self, location_id: str) -> Doc:
        """A private copy of the current document."""
        return copy.deepcopy(self.view(location_id))

    def body(self, location_id: str) -> bytes:
        """The JSON body of ``GET /locations/{id}``, rendered once until the location changes."""
        if (raw := self._raw.get(location_id)) is not None:
            return raw
        key = ("api", location_id)
        body = self._cache.get(key)
        if body is None:
            body = _dumps(self.view(location_id))
            self._cache.put(key, body)
        return body

    def prerender(self, location_ids: Iterable[str] | None = None) -> int:
        """Render API bodies now (every one, or these) and keep them; returns the cached bytes.

        The cache stops evicting, so serving never pays for rendering: what the benchmark
        needs to measure the client, not the simulator. A changed location renders again.
        """
        self._cache.max_bytes = sys.maxsize
        for location_id in self.ids() if location_ids is None else location_ids:
            self.body(location_id)
        return self._cache.size

    def page(self, location_id: str) -> bytes:
        """The website page ``/location/{id}/reports`` (HTML), cached like ``body``."""
        key = ("web", location_id)
        body = self._cache.get(key)
        if body is None:
            entry = self._entries[location_id]
            provider = self._providers[entry.provider_id].name
            body = pages.render(self.view(location_id), provider, entry.reviews)
            self._cache.put(key, body)
        return body

    def provider_of(self, location_id: str) -> str:
        return self._entries[location_id].provider_id

    def has_provider(self, provider_id: str) -> bool:
        return provider_id in self._providers

    def provider_ids(self) -> list[str]:
        return list(self._providers)

    def provider_location_ids(self, provider_id: str) -> list[str]:
        return list(self._providers[provider_id].location_ids)

    def provider_document(self, provider_id: str) -> Doc:
        """``GET /providers/{id}``: identity, address of its first location, ``locationIds``."""
        provider = self._providers[provider_id]
        doc: Doc = {"providerId": provider_id, "locationIds": list(provider.location_ids)}
        doc.update(organisationType="Provider", ownershipType="Organisation", name=provider.name)
        registered = any(self._status(i) == "Registered" for i in provider.location_ids)
        doc["registrationStatus"] = "Registered" if registered else "Deregistered"
        if provider.record >= 0:
            record = resources.hospitals()[provider.record]
            doc["type"] = "Independent Healthcare Org"
            doc["registrationDate"] = record["registrationDate"]
            optional = {
                "companiesHouseNumber": "companiesHouseNumber",
                "website": "website",
                "postalAddressLine1": "addressLine1",
                "postalAddressTownCity": "townCity",
            }
            doc.update({key: record[field] for key, field in optional.items() if record[field]})
            doc.update(region=record["region"], postalCode=record["postalCode"])
        doc.update(copy.deepcopy(provider.own))
        return doc

    def edit_provider(self, provider_id: str) -> Doc:
        """The provider's own mutable part of its document (ratings, reports, identity)."""
        return self._providers[provider_id].own

    def _status(self, location_id: str) -> str:
        doc = self._entries[location_id].doc
        return "Registered" if doc is None else str(doc.get("registrationStatus", ""))

    # --- writing ----------------------------------------------------------------------------

    def add(self, doc: Doc, *, provider_name: str | None = None) -> None:
        """Add a location given as a full document (kept as is, not copied)."""
        provider_id = str(doc.get("providerId", ""))
        brand = str(doc.get("brandName", "")).removeprefix("BRAND ")
        name = provider_name or brand or f"Provider {provider_id}"
        entry = _Entry(
            doc["locationId"], provider_id, doc.get("name", ""), doc.get("postalCode", "")
        )
        entry.doc = doc
        self._attach(entry, name, -1)

    def edit(self, location_id: str) -> Doc:
        """The location's own mutable document; call ``changed`` after mutating it."""
        entry = self._entries[location_id]
        if entry.doc is None:
            entry.doc = copy.deepcopy(self._document(location_id))
        return entry.doc

    def changed(self, location_id: str) -> None:
        """Forget cached bodies and pick up a new name, postcode or provider."""
        entry = self._entries[location_id]
        self._forget(location_id)
        if entry.doc is None:
            return
        entry.name = str(entry.doc.get("name", ""))
        entry.postcode = str(entry.doc.get("postalCode", ""))
        provider_id = str(entry.doc.get("providerId", ""))
        if provider_id != entry.provider_id:  # a change of owner
            self._providers[entry.provider_id].location_ids.remove(location_id)
            entry.provider_id = provider_id
            fresh = _Provider(provider_id, f"Provider {provider_id}", -1)
            self._providers.setdefault(provider_id, fresh).location_ids.append(location_id)

    def reshape(self, change: Reshape) -> None:
        """From now on every document it applies to is served with that change of shape."""
        self._reshapes.append(change)
        for location_id in self.ids():
            if change.applies_to(location_id):
                self._forget(location_id)

    def serve_raw(self, location_id: str, body: bytes | None) -> None:
        """Answer ``GET /locations/{id}`` with exactly ``body`` (None: the document again)."""
        if body is None:
            self._raw.pop(location_id, None)
        else:
            self._raw[location_id] = body

    def remove(self, location_id: str) -> None:
        entry = self._entries.pop(location_id)
        self._providers[entry.provider_id].location_ids.remove(location_id)
        self._forget(location_id)
        self._order = None

    def add_review(self, location_id: str, day: str) -> None:
        self._entries[location_id].reviews.append(day)
        self._cache.discard(("web", location_id))

    def _forget(self, location_id: str) -> None:
        self._cache.discard(("api", location_id))
        self._cache.discard(("web", location_id))
        self.search_facts.pop(location_id, None)
        self.version += 1
