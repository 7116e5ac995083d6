"""sandbox faults: a client's rules that delay, fail or cut its requests and webhook deliveries

``consulted`` is how many times a rule was drawn for; with ``seed`` it makes the draws the same
in every process. Fault ids are shown and used to remove a rule: never handed out twice.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_faults",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("pattern", sa.String(length=500), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("effect", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("consulted", sa.BigInteger(), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.client_id"],
            name=op.f("fk_sandbox_faults_client_id_api_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_faults")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_sandbox_faults_client_id"), "sandbox_faults", ["client_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sandbox_faults_client_id"), table_name="sandbox_faults")
    op.drop_table("sandbox_faults")
