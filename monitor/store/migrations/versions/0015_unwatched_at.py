"""unwatched at: locations.unwatched_at, when an id left the watchlist (its rows stay, as the
audit trail), so ``status`` and ``/metrics`` count only what is watched now

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE … ADD / DROP COLUMN (SQLite 3.35 and later): a batch copy of locations
# would drop a table that snapshots, events and fetches point at.


def upgrade() -> None:
    op.add_column("locations", sa.Column("unwatched_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("locations", "unwatched_at")
