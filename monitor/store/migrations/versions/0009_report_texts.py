"""report_texts: each inspection report's text, kept compressed once per report, and what it
found (breaches, special measures, enforcement), with the attempts to read it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_texts",
        sa.Column("link_id", sa.String(length=100), nullable=False),
        sa.Column("location_id", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.String(length=10), nullable=True),
        sa.Column("report_uri", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=True),
        sa.Column("text", sa.LargeBinary(), nullable=True),
        sa.Column("text_chars", sa.Integer(), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("findings", _JSON, nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("findings_event_id", sa.String(length=40), nullable=True),
        sa.Column("cycle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_report_texts_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_report_texts_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_report_texts")),
    )
    with op.batch_alter_table("report_texts") as batch:
        batch.create_index(batch.f("ix_report_texts_location_id"), ["location_id"])
        batch.create_index(batch.f("ix_report_texts_findings_event_id"), ["findings_event_id"])
        batch.create_index("ix_report_texts_status_next_attempt_at", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("report_texts")
