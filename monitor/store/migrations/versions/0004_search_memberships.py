"""searches and search_members: saved searches and which locations belong to them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "searches",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_searches")),
    )
    op.create_table(
        "search_members",
        sa.Column("search", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_search_members_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["search"], ["searches.name"], name=op.f("fk_search_members_search_searches")
        ),
        sa.PrimaryKeyConstraint("search", "location_id", name=op.f("pk_search_members")),
    )
    with op.batch_alter_table("search_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_members_location_id"), ["location_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("search_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_members_location_id"))
    op.drop_table("search_members")
    op.drop_table("searches")
