"""digests: the deliveries a sink holds for its digest window (deliveries.status "held",
deliveries.digest_id), the digests closed at each window (one per slot), and job_state names
long enough for "digest:<sink>"

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_FK = "fk_deliveries_digest_id_digests"


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("slot_key", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("slot_key", name=op.f("uq_digests_slot_key")),
    )
    op.create_index(op.f("ix_digests_sink"), "digests", ["sink"])
    op.create_index(
        op.f("ix_digests_status_next_attempt_at"), "digests", ["status", "next_attempt_at"]
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; Alembic would copy the table
        # (batch mode), which delivery_attempts points at.
        op.execute(
            f"ALTER TABLE deliveries ADD COLUMN digest_id INTEGER "
            f"CONSTRAINT {_FK} REFERENCES digests (id)"
        )
    else:
        op.add_column("deliveries", sa.Column("digest_id", _BIG_ID, nullable=True))
        op.create_foreign_key(op.f(_FK), "deliveries", "digests", ["digest_id"], ["id"])
    op.create_index(op.f("ix_deliveries_digest_id"), "deliveries", ["digest_id"])
    with op.batch_alter_table("job_state") as batch:
        batch.alter_column("job", existing_type=sa.String(length=32), type_=sa.String(length=120))


def downgrade() -> None:
    # The older schema has no digests: what they carried and what waits for one is sent at
    # once by the older version.
    op.execute(
        "UPDATE deliveries SET status = 'pending' WHERE status = 'held' "
        "OR (digest_id IS NOT NULL AND status IN ('pending', 'failed'))"
    )
    op.execute("DELETE FROM job_state WHERE job LIKE 'digest:%'")
    with op.batch_alter_table("job_state") as batch:
        batch.alter_column("job", existing_type=sa.String(length=120), type_=sa.String(length=32))
    op.drop_index(op.f("ix_deliveries_digest_id"), table_name="deliveries")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE deliveries DROP COLUMN digest_id")
    else:
        op.drop_constraint(op.f(_FK), "deliveries", type_="foreignkey")
        op.drop_column("deliveries", "digest_id")
    op.drop_index(op.f("ix_digests_status_next_attempt_at"), table_name="digests")
    op.drop_index(op.f("ix_digests_sink"), table_name="digests")
    op.drop_table("digests")
