"""One process of a deployment sharing a rate bucket, for the shared-rate tests.

    python -m tests.support.rate_worker URL BUCKET RATE THREADS COUNT

Prints ``ready`` once connected, waits for a line on stdin (so that every process starts
together), then acquires COUNT times on each of THREADS threads and prints one JSON line:
``started`` (wall-clock seconds, just before the first acquisition), ``grants`` (when each
acquisition returned) and ``fallbacks`` (acquisitions the database could not pace).
"""

from __future__ import annotations

import json
import sys
import threading
import time

from monitor.store.rate_buckets import RateBuckets


def main(url: str, bucket: str, rate: float, threads: int, count: int) -> None:
    buckets = RateBuckets(url)
    fallbacks: list[float] = []
    limiter = buckets.limiter(bucket, rate, fallback=lambda: fallbacks.append(time.time()))
    with buckets.engine.connect():  # connect now, not in the measured span
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    grants: list[float] = []
    lock = threading.Lock()

    def acquire_all() -> None:
        for _ in range(count):
            limiter.acquire()
            granted = time.time()
            with lock:
                grants.append(granted)

    pool = [threading.Thread(target=acquire_all) for _ in range(threads)]
    started = time.time()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    buckets.close()
    print(json.dumps({"started": started, "grants": grants, "fallbacks": len(fallbacks)}))


if __name__ == "__main__":
    url, bucket, rate, threads, count = sys.argv[1:]
    main(url, bucket, float(rate), int(threads), int(count))
