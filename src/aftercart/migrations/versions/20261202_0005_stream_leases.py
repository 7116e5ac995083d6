"""stream leases: the cap on open streams per token across processes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_leases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("expires_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_leases")),
    )
    op.create_index(
        op.f("ix_stream_leases_token_hash"), "stream_leases", ["token_hash"], unique=False
    )
    op.create_index(op.f("ix_stream_leases_owner"), "stream_leases", ["owner"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stream_leases_owner"), table_name="stream_leases")
    op.drop_index(op.f("ix_stream_leases_token_hash"), table_name="stream_leases")
    op.drop_table("stream_leases")
