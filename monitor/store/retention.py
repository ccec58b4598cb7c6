"""Retention (SPEC §7): the fetch log is pruned; snapshots, events and deliveries are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from monitor.store.tables import Fetch


def prune_fetch_log(session: Session, now: datetime, keep_days: int) -> int:
    """Delete fetch-log rows older than ``keep_days``; returns how many went."""
    result = session.execute(
        delete(Fetch).where(Fetch.fetched_at < now - timedelta(days=keep_days))
    )
    return int(getattr(result, "rowcount", 0) or 0)
