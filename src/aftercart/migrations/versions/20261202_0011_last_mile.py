"""last mile: retailer-picked orders that Instacart delivers, staging, dispatch

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = aftercart_types.UTCDateTime(timezone=True)
    op.create_table(
        "last_mile_orders",
        sa.Column("order_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dispatch", sa.Boolean(), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("user_phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("bags_count", sa.Integer(), nullable=True),
        sa.Column("items_weight", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("cart_total", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("bag_label", sa.String(length=255), nullable=True),
        sa.Column("bag_scan_codes", sa.JSON(), nullable=True),
        sa.Column("alcoholic", sa.Boolean(), nullable=False),
        sa.Column("customer_sms_opt_out", sa.Boolean(), nullable=False),
        sa.Column("requested_starts_at", when, nullable=True),
        sa.Column("requested_ends_at", when, nullable=True),
        sa.Column("fell_back", sa.Boolean(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("staged_at", when, nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["orders.id"],
            name=op.f("fk_last_mile_orders_order_pk_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_pk", name=op.f("pk_last_mile_orders")),
    )


def downgrade() -> None:
    op.drop_table("last_mile_orders")
