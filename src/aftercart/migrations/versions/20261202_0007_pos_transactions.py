"""point-of-sale transactions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pos_transactions",
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        sa.Column("order_pk", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.String(length=255), nullable=True),
        sa.Column("store_id", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["orders.id"],
            name=op.f("fk_pos_transactions_order_pk_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_pos_transactions")),
    )
    op.create_index(
        "ix_pos_transactions_received_at",
        "pos_transactions",
        ["received_at", "transaction_id"],
        unique=False,
    )
    op.create_index(
        "ix_pos_transactions_order_pk_received_at",
        "pos_transactions",
        ["order_pk", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pos_transactions_order_pk_received_at", table_name="pos_transactions")
    op.drop_index("ix_pos_transactions_received_at", table_name="pos_transactions")
    op.drop_table("pos_transactions")
