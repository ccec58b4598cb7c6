"""a saved search's failures: cycles.search_errors, the failure streak of each search, and
events about a search rather than a location (events.search, events.location_id nullable)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN: a batch copy of searches would drop a table other rows
    # point at.
    op.add_column(
        "cycles", sa.Column("search_errors", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "searches",
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("searches", sa.Column("failing_since", sa.DateTime(timezone=True)))
    op.add_column(
        "searches",
        sa.Column("failing_alerted", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("searches", sa.Column("last_error", sa.Text()))
    with _foreign_keys_unenforced(), op.batch_alter_table("events") as batch:
        batch.alter_column("location_id", existing_type=sa.String(32), nullable=True)
        batch.add_column(sa.Column("search", sa.String(64), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_events_search_searches"), "searches", ["search"], ["name"]
        )


def downgrade() -> None:
    # Events about a search have no place in the older schema: they and their deliveries go.
    searched = "SELECT id FROM events WHERE location_id IS NULL"
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN "
        f"(SELECT id FROM deliveries WHERE event_id IN ({searched}))"
    )
    op.execute(f"DELETE FROM deliveries WHERE event_id IN ({searched})")
    op.execute("DELETE FROM events WHERE location_id IS NULL")
    with _foreign_keys_unenforced(), op.batch_alter_table("events") as batch:
        batch.drop_constraint(batch.f("fk_events_search_searches"), type_="foreignkey")
        batch.drop_column("search")
        batch.alter_column("location_id", existing_type=sa.String(32), nullable=False)
    op.drop_column("searches", "last_error")
    op.drop_column("searches", "failing_alerted")
    op.drop_column("searches", "failing_since")
    op.drop_column("searches", "consecutive_failures")
    op.drop_column("cycles", "search_errors")


@contextmanager
def _foreign_keys_unenforced() -> Iterator[None]:
    """SQLite cannot change a column's NOT NULL in place: batch mode copies the table, drops
    it and renames the copy, and dropping ``events`` while deliveries point at it fails with
    foreign keys enforced. The pragma only takes effect outside a transaction, hence the
    autocommit blocks; the copy is checked before keys are enforced again. PostgreSQL alters
    in place and needs none of this."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows left without their parent: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")
