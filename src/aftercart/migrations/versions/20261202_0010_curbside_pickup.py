"""curbside pickup: arrival, pickup ETA, delegate, runner batches

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = aftercart_types.UTCDateTime(timezone=True)
    op.create_table(
        "pickup_statuses",
        sa.Column("order_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pickup_category", sa.String(length=20), nullable=False),
        sa.Column("ready_at", when, nullable=True),
        sa.Column("scheduled_eta", when, nullable=True),
        sa.Column("arrived_at", when, nullable=True),
        sa.Column("arrived_as_delegate", sa.Boolean(), nullable=False),
        sa.Column("delegate_name", sa.String(length=200), nullable=True),
        sa.Column("delegate_phone_number", sa.String(length=40), nullable=True),
        sa.Column("runner_batch_id", sa.Integer(), nullable=True),
        sa.Column("late_pickup_at", when, nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["orders.id"],
            name=op.f("fk_pickup_statuses_order_pk_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["runner_batch_id"],
            ["batches.id"],
            name=op.f("fk_pickup_statuses_runner_batch_id_batches"),
        ),
        sa.PrimaryKeyConstraint("order_pk", name=op.f("pk_pickup_statuses")),
    )
    op.create_index(
        op.f("ix_pickup_statuses_runner_batch_id"),
        "pickup_statuses",
        ["runner_batch_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pickup_statuses_runner_batch_id"), table_name="pickup_statuses")
    op.drop_table("pickup_statuses")
