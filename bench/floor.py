"""The floor: the cheapest client that fetches the same documents, ``python -m bench.floor``.

A ``requests.Session`` shared by a thread pool at the monitor's concurrency, doing GET and
``json.loads`` of each location URL and nothing else. Its throughput is what the network path
(client library, loopback, simulator) allows; the monitor's sweeps are reported relative to it.
Spec keys: ``base_url``, ``ids_file`` (one id per line), ``concurrency``, ``subscription_key``.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bench.probes import cpu_seconds, peak_rss_mb


def run(spec: dict[str, Any]) -> dict[str, Any]:
    ids = Path(spec["ids_file"]).read_text(encoding="ascii").split()
    concurrency = int(spec["concurrency"])
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=concurrency))
    headers = {"Ocp-Apim-Subscription-Key": spec["subscription_key"]}
    prefix = spec["base_url"].rstrip("/") + "/locations/"

    def fetch(location_id: str) -> int:
        response = session.get(prefix + location_id, headers=headers, timeout=30)
        json.loads(response.content)
        return response.status_code

    cpu, wall = cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(fetch, ids))
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    session.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "requests": len(ids),
        "failures": sum(status != 200 for status in statuses),
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)
