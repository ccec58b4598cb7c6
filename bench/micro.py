"""Micro-figures: microseconds per document for each processing step, on the real documents.

The three real CQC location documents (tests/fixtures/cqc/locations/, copies of
../shared/data/cqc/locations/) go through each step of the review cycle on their own: JSON
decode, parse to a snapshot, canonical hash, snapshot to and from its stored JSON, diff
(identical and changed), and the redacted, compressed raw copy. The website page parser's
figures come from :mod:`bench.bench_web_parse`. Best of several rounds, like timeit.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.domain.diff import diff
from monitor.domain.shape import ShapeReader
from monitor.domain.snapshot import Snapshot
from monitor.sources.api_document import parse_location, redacted_payload
from monitor.store.repository import compress_raw

ROOT = Path(__file__).resolve().parent.parent
API_FIXTURES = ROOT / "tests" / "fixtures" / "cqc" / "locations"
ROUNDS = 7
ROUND_SECONDS = 0.05
DETECTED_AT = "2026-11-29T07:00:00Z"


def best_us(step: Callable[[], object]) -> float:
    """Best time of one call, in microseconds, over ROUNDS rounds of many calls."""
    step()
    started = time.perf_counter()
    step()
    loops = max(1, int(ROUND_SECONDS / max(time.perf_counter() - started, 1e-7)))
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(loops):
            step()
        best = min(best, (time.perf_counter() - started) / loops)
    return best * 1e6


def changed_variant(doc: dict[str, Any]) -> dict[str, Any]:
    """The document after a downgrade and a rename: what a changed location costs to diff."""
    variant = copy.deepcopy(doc)
    variant["name"] = f"{variant.get('name', '')} (renamed)"
    overall = variant.get("currentRatings", {}).get("overall")
    if isinstance(overall, dict):
        overall["rating"] = "Inadequate" if overall.get("rating") != "Inadequate" else "Good"
    return variant


def document_figures(body: bytes) -> dict[str, float]:
    doc = json.loads(body)
    snapshot = parse_location(doc)
    stored = snapshot.to_dict()
    changed = parse_location(changed_variant(doc))
    twin = parse_location(doc)
    figures = {
        "bytes": float(len(body)),
        "json_loads_us": best_us(lambda: json.loads(body)),
        "parse_us": best_us(lambda: parse_location(doc)),
        "hash_us": best_us(lambda: Snapshot.from_dict(stored).content_hash())
        - best_us(lambda: Snapshot.from_dict(stored)),
        "to_dict_us": best_us(snapshot.to_dict),
        "from_dict_us": best_us(lambda: Snapshot.from_dict(stored)),
        "diff_identical_us": best_us(lambda: diff(snapshot, twin, detected_at=DETECTED_AT)),
        "diff_changed_us": best_us(lambda: diff(snapshot, changed, detected_at=DETECTED_AT)),
        "raw_copy_us": best_us(lambda: compress_raw(redacted_payload(body, doc))),
    }
    # What one fetched document costs before any database work, as the review cycle does it.
    figures["loads_parse_hash_us"] = best_us(
        lambda: parse_location(json.loads(body)).content_hash()
    )
    # The shape watch's read of a document (path strings already cached, as in a cycle) and
    # what proves a body read before unchanged instead.
    reader = ShapeReader()
    figures["shape_us"] = best_us(lambda: reader.read(doc))
    figures["body_hash_us"] = best_us(lambda: hash(bytes(bytearray(body)))) - best_us(
        lambda: bytes(bytearray(body))
    )
    return figures


def run() -> dict[str, Any]:
    from bench import bench_web_parse

    api = {
        path.stem: document_figures(path.read_bytes())
        for path in sorted(API_FIXTURES.glob("*.json"))
    }
    return {"api_documents": api, "web_pages": bench_web_parse.run()}
