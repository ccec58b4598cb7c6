"""source_shape_kinds, source_shape_paths, source_shape_values, source_shape_baseline and
source_changes: the shape of CQC's documents the monitor has learned, and the changes of it
reported once per deployment

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _seen() -> list[sa.Column[object]]:
    return [
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "source_shape_kinds",
        sa.Column("kind", sa.String(length=16), nullable=False),
        *_seen(),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_source_shape_kinds")),
    )
    op.create_table(
        "source_shape_paths",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        *_seen(),
        sa.PrimaryKeyConstraint("kind", "path", name=op.f("pk_source_shape_paths")),
    )
    op.create_table(
        "source_shape_values",
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=250), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        *_seen(),
        sa.PrimaryKeyConstraint("field", "key", name=op.f("pk_source_shape_values")),
    )
    op.create_table(
        "source_shape_baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cycle_id", _BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_shape_baseline")),
    )
    op.create_table(
        "source_changes",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("value", sa.String(length=250), nullable=True),
        sa.Column("examples", _JSON, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cycle_id", _BIG_ID, nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_changes")),
        sa.UniqueConstraint("key", name=op.f("uq_source_changes_key")),
    )
    with op.batch_alter_table("source_changes") as batch:
        batch.create_index(batch.f("ix_source_changes_first_seen_at"), ["first_seen_at"])


def downgrade() -> None:
    with op.batch_alter_table("source_changes") as batch:
        batch.drop_index(batch.f("ix_source_changes_first_seen_at"))
    op.drop_table("source_changes")
    op.drop_table("source_shape_baseline")
    op.drop_table("source_shape_values")
    op.drop_table("source_shape_paths")
    op.drop_table("source_shape_kinds")
