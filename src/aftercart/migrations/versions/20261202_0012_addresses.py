"""user addresses, validated and normalised

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_addresses",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("address_line_1", sa.String(length=300), nullable=False),
        sa.Column("address_line_2", sa.String(length=300), nullable=True),
        sa.Column("address_type", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("zip_plus_four", sa.String(length=4), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("long_distance_delivery", sa.Boolean(), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_user_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "address_key", name=op.f("pk_user_addresses")),
    )


def downgrade() -> None:
    op.drop_table("user_addresses")
