"""Digests at size: what a window of N held alerts costs, from closing it to the bodies sent.

    python -m bench.bench_digest                         # SQLite, 100, 1,000 and 10,000 held
    python -m bench.bench_digest --sizes 300 --database postgresql+psycopg://postgres@/bench

For each size, N held deliveries (events spread over N/4 locations, as a busy week of a large
care group's services reads) are written to a fresh database, then timed, each its own step:

- **close**: the window's transaction (its slot row, every held delivery bound to it);
- **claim**: claiming it with its events read back;
- **email**: the digest email built (text and HTML), and its size;
- **webhook**: the signed bodies cut within 256 KiB, how many parts, and the largest;
- **peak MB**: the most memory the email and the parts took at once (tracemalloc).

Every monitor table in a PostgreSQL database given is dropped first.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, insert

from monitor.domain.digest import in_digest_order
from monitor.domain.events import Event, LocationRef, event_id
from monitor.sinks.base import Digest
from monitor.sinks.digest_email import render_digest_email
from monitor.sinks.webhook_digest import digest_parts
from monitor.store import digests
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.migrate import upgrade
from monitor.store.tables import Base, Delivery, EventRecord, Location

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
T = TypeVar("T")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_digest")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--database", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/digest.json")
    return parser.parse_args(argv)


def event(number: int, locations: int) -> Event:
    """A new report at one of the locations: an info event, as most of a digest is."""
    location_id = f"1-{100000000 + number % locations}"
    link = f"{number:08d}-0000-4000-8000-000000000000"
    details = {
        "report_link_id": link,
        "report_date": "2026-11-20",
        "first_visit_date": "2026-10-01",
        "report_type": "Location",
        "report_url": f"https://www.cqc.org.uk/location/{location_id}/reports/{link}",
        "findings": None,
    }
    return Event(
        id=event_id(location_id, "new_inspection", link),
        type="new_inspection",
        severity="warning" if number % 10 == 0 else "info",
        detected_at="2026-11-26T07:00:00Z",
        location=LocationRef(
            location_id,
            f"Care Home {number % locations}",
            "1-200000000",
            f"https://www.cqc.org.uk/location/{location_id}",
        ),
        summary=f"New CQC inspection report published for Care Home {number % locations}.",
        details=details,
    )


def fill(engine: Engine, size: int) -> None:
    """``size`` held deliveries of one sink, with their events and locations."""
    locations = max(1, size // 4)
    events = [event(number, locations) for number in range(size)]
    with make_session_factory(engine).begin() as session:
        session.execute(
            insert(Location),
            [
                {"id": f"1-{100000000 + n}", "name": f"Care Home {n}", "first_seen_at": NOW}
                for n in range(locations)
            ],
        )
        session.execute(
            insert(EventRecord),
            [
                {
                    "id": e.id,
                    "location_id": e.location.id,
                    "type": e.type,
                    "severity": e.severity,
                    "detected_at": NOW - timedelta(days=4),
                    "summary": e.summary,
                    "payload": e.to_dict(),
                }
                for e in events
            ],
        )
        session.execute(
            insert(Delivery),
            [
                {
                    "event_id": e.id,
                    "sink": "hook",
                    "status": "held",
                    "attempts": 0,
                    "created_at": NOW - timedelta(days=4),
                    "updated_at": NOW - timedelta(days=4),
                    "next_attempt_at": NOW,
                }
                for e in events
            ],
        )


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, round((time.perf_counter() - started) * 1000, 1)


def measure(url: str, size: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                Base.metadata.drop_all(connection)
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(engine)
        fill(engine, size)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            closed, close_ms = timed(
                lambda: digests.close(session, "hook", NOW, NOW, trigger="window", due_by=NOW)
            )
        assert closed is not None and closed.events == size
        with sessions.begin() as session:
            claimed, claim_ms = timed(
                lambda: digests.claim_due(
                    session, "hook", owner="bench:1", now=NOW, lease=timedelta(minutes=5)
                )
            )
        (item,) = claimed
        return {"size": size, "close_ms": close_ms, "claim_ms": claim_ms, **render(item)}
    finally:
        engine.dispose()


def render(item: digests.ClaimedDigest) -> dict[str, Any]:
    digest = Digest(
        item.digest_id,
        item.key,
        item.window_start,
        item.window_end,
        tuple(in_digest_order(item.events)),
        timezone="Europe/London",
    )
    tracemalloc.start()
    try:
        message, email_ms = timed(
            lambda: render_digest_email(
                digest, cadence="weekly", sender="m@example.org", to=["o@example.org"], date=NOW
            )
        )
        parts, parts_ms = timed(lambda: digest_parts(digest, 256 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {
        "email_ms": email_ms,
        "email_kb": round(len(message.as_bytes()) / 1024),
        "webhook_ms": parts_ms,
        "parts": len(parts),
        "largest_part_kb": round(max(len(p.body.encode()) for p in parts) / 1024),
        "peak_mb": round(peak / 1024 / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cqc-digest-") as folder:
        for size in args.sizes:
            url = args.database or f"sqlite:///{Path(folder) / f'digest-{size}.db'}"
            rows.append(measure(url, size))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    columns = list(rows[0])
    print("  ".join(f"{name:>15}" for name in columns))
    for row in rows:
        print("  ".join(f"{row[name]:>15}" for name in columns))


if __name__ == "__main__":
    main()
