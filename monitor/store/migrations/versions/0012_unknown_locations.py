"""locations.status "unknown": an id CQC answered 404 for and never answered for otherwise
(a mistyped watchlist entry) is unknown, not gone; rows recorded as gone that way before are
marked unknown

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE locations SET status = 'unknown' WHERE status = 'gone' AND last_hash IS NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE locations SET status = 'gone' WHERE status = 'unknown'")
