"""Running the measured processes, and reading what a sweep left in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.tables import (
    Base,
    Delivery,
    EventRecord,
    Fetch,
    Location,
    ReportText,
    SnapshotRecord,
)

ROOT = Path(__file__).resolve().parent.parent
_COUNTED = {
    "locations": Location,
    "snapshots": SnapshotRecord,
    "events": EventRecord,
    "deliveries": Delivery,
    "fetches": Fetch,
    "report_texts": ReportText,
}


class MeasuredProcessError(RuntimeError):
    """A worker or floor process failed; its stderr tail says why."""


def run_module(module: str, spec: dict[str, Any], log: Path | None = None) -> dict[str, Any]:
    """Run ``python -m module '<spec>'`` and return the JSON line it prints last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", module, json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if log is not None:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(done.stderr)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise MeasuredProcessError(f"{module} exited with {done.returncode}:\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def fresh_database(url: str) -> None:
    """An empty database at the schema's head (PostgreSQL: every monitor table dropped)."""
    engine = make_engine(url)
    try:
        if engine.dialect.name != "sqlite":
            with engine.begin() as connection:
                Base.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(engine)
    finally:
        engine.dispose()


def database_stats(url: str) -> dict[str, int]:
    """Row counts of the audit tables and the bytes the database occupies."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stats = {
                name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in _COUNTED.items()
            }
        stats["bytes"] = _database_bytes(engine, url)
    finally:
        engine.dispose()
    return stats


def _database_bytes(engine: Engine, url: str) -> int:
    if engine.dialect.name == "sqlite":
        path = Path(make_url(url).database or "")
        wal = path.with_name(path.name + "-wal")
        return sum(p.stat().st_size for p in (path, wal) if p.exists())
    names = ", ".join(f"'{table.name}'" for table in Base.metadata.sorted_tables)
    query = text(
        f"SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname IN ({names})"
    )
    with engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before.get(key, 0) for key in after}
