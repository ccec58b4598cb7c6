"""body hash: locations.last_body_hash, the digest of the API document last read in full, so
a full review can tell an unchanged document from its bytes without normalising it again

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("last_body_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("last_body_hash")
