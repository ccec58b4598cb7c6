"""Package data of the simulator, loaded on first use (never at import time)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from typing import Any

# The three real location documents; generated locations are built on their shape.
TEMPLATE_IDS = ("1-10000302982", "1-125856395", "1-134558905")
# The seed location of SPEC §1 (Alliance Medical Harley Street), present in the hospital list.
SEED_HOSPITAL_ID = "1-201307300"


def _read(name: str) -> bytes:
    return resources.files("monitor.sim").joinpath("data", name).read_bytes()


@cache
def templates() -> tuple[dict[str, Any], ...]:
    """The real location documents, in TEMPLATE_IDS order. Callers must not mutate them."""
    return tuple(json.loads(_read(f"{location_id}.json")) for location_id in TEMPLATE_IDS)


@cache
def hospitals() -> tuple[dict[str, Any], ...]:
    """Flat records of independent hospitals and clinics (CQC export of 2025-11-01)."""
    records: list[dict[str, Any]] = json.loads(gzip.decompress(_read("private-hospitals.json.gz")))
    return tuple(records)


@cache
def invalid_key_body() -> bytes:
    """The exact body CQC returns for an invalid subscription key."""
    return _read("error-401-invalid-key.json")
