"""sandbox clocks: a tenant's frozen time, and webhook retries that wait on it

``sandbox_clocks`` holds, for each tenant whose sandbox clock is frozen, the time its orders live
at. ``webhook_deliveries.clock_due_at`` is set on a retry scheduled while its tenant's clock is
frozen: the retry waits for the clock, not the wall, to reach that time.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_clocks",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("frozen_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sandbox_clocks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_sandbox_clocks")),
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(
            sa.Column("clock_due_at", aftercart_types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        op.f("ix_webhook_deliveries_clock_due_at"), "webhook_deliveries", ["clock_due_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_clock_due_at"), table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("clock_due_at")
    op.drop_table("sandbox_clocks")
