"""providers rated as a whole are watched beside locations: locations.kind (location | provider)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN: a batch copy of locations would drop a table that
    # snapshots, fetches and events point at. Every existing row is a location.
    op.add_column(
        "locations",
        sa.Column("kind", sa.String(16), server_default="location", nullable=False),
    )


def downgrade() -> None:
    # In place as well (SQLite 3.35+ drops a column itself): a batch copy of locations would
    # fail on the rows that point at it.
    op.drop_column("locations", "kind")
