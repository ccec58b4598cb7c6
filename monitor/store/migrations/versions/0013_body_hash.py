"""body hash: locations.last_body_hash, the digest of the API document last read in full, so
a full review can tell an unchanged document from its bytes without normalising it again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE … ADD / DROP COLUMN (SQLite 3.35 and later): a batch copy of locations
# would drop a table that snapshots, events and fetches point at.


def upgrade() -> None:
    op.add_column("locations", sa.Column("last_body_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("locations", "last_body_hash")
