"""cycle leases and fences, locations.last_cycle_id, sink_states, rate_buckets: replicas that
take over a dead replica's cycle, a 410-disabled sink that stays disabled, one request rate
for the whole deployment

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("fence", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("last_cycle_id", _BIG_ID, nullable=True))
        batch.create_index(batch.f("ix_locations_last_cycle_id"), ["last_cycle_id"])
    op.create_table(
        "sink_states",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sink_states")),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    op.drop_table("sink_states")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop and recreate
    # tables other rows point at, which SQLite's foreign keys refuse.
    op.drop_index(op.f("ix_locations_last_cycle_id"), table_name="locations")
    op.drop_column("locations", "last_cycle_id")
    op.drop_column("cycles", "lease_expires_at")
    op.drop_column("cycles", "fence")
