"""sink tests: sink_tests, one row per ``sinks test NAME`` send (the sample event and its
outcome), apart from events and deliveries so a test never counts as an alert

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sink_tests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "event",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sink_tests")),
    )
    op.create_index("ix_sink_tests_sink_sent_at", "sink_tests", ["sink", "sent_at"])
    op.create_index(op.f("ix_sink_tests_sent_at"), "sink_tests", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sink_tests_sent_at"), table_name="sink_tests")
    op.drop_index("ix_sink_tests_sink_sent_at", table_name="sink_tests")
    op.drop_table("sink_tests")
