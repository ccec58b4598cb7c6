"""locations.region, local_authority, overall_rating from the latest snapshot; indexes for the
dashboard

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("local_authority", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("overall_rating", sa.String(length=60), nullable=True))
        batch_op.create_index("ix_locations_name", ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_locations_overall_rating"), ["overall_rating"], unique=False
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_sink_status", ["sink", "status"], unique=False)
    _backfill()


def _backfill() -> None:
    """Each location's summary from its latest snapshot, read once, a batch at a time."""
    connection = op.get_bind()
    locations = sa.table(
        "locations",
        sa.column("id", sa.String),
        sa.column("region", sa.String),
        sa.column("local_authority", sa.String),
        sa.column("overall_rating", sa.String),
    )
    snapshots = sa.table("snapshots", sa.column("id", sa.Integer), sa.column("data", sa.JSON))
    latest = sa.text(
        "SELECT id, last_snapshot_id FROM locations WHERE last_snapshot_id IS NOT NULL"
    )
    pairs = list(connection.execute(latest))
    for start in range(0, len(pairs), _BATCH):
        chunk = dict(
            (snapshot_id, location_id) for location_id, snapshot_id in pairs[start : start + _BATCH]
        )
        rows = connection.execute(
            sa.select(snapshots.c.id, snapshots.c.data).where(snapshots.c.id.in_(list(chunk)))
        )
        for snapshot_id, data in rows:
            connection.execute(
                locations.update()
                .where(locations.c.id == chunk[snapshot_id])
                .values(**_summary(data))
            )


def _summary(data: Any) -> dict[str, Any]:
    if isinstance(data, str):
        data = json.loads(data)
    data = data if isinstance(data, dict) else {}
    overall = next(
        (
            r.get("rating")
            for r in data.get("ratings") or ()
            if r.get("question") == "Overall" and not r.get("service")
        ),
        None,
    )
    return {
        "region": data.get("region"),
        "local_authority": data.get("local_authority"),
        "overall_rating": overall,
    }


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_sink_status")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_overall_rating"))
        batch_op.drop_index("ix_locations_name")
        batch_op.drop_column("overall_rating")
        batch_op.drop_column("local_authority")
        batch_op.drop_column("region")
