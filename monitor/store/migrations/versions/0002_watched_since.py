"""locations.watched_since: the day each id entered the watchlist

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("watched_since", sa.DateTime(timezone=True), nullable=True))
    # Ids watched before this column existed entered the watchlist when they were first seen.
    op.execute("UPDATE locations SET watched_since = first_seen_at WHERE watched_since IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("watched_since")
