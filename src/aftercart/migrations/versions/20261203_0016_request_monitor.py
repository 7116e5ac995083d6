"""request monitor: the last requests of each client, masked and trimmed

``monitored_requests`` keeps, for every client, its last ``AFTERCART_MONITOR_SIZE`` requests and
answers (method, path, query, status, duration, headers and bodies with secrets masked), written
in the background after each answer is sent. ``client_id`` has no foreign key: nothing about a
client may hold up or fail that write. Webhook attempts are read from ``webhook_attempts``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitored_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("started_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("request_body_truncated", sa.Boolean(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_body_truncated", sa.Boolean(), nullable=False),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitored_requests")),
        # The id is the list's cursor: never handed out twice (see migration 0003).
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_monitored_requests_client_id_id",
        "monitored_requests",
        ["client_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_monitored_requests_client_id_id", table_name="monitored_requests")
    op.drop_table("monitored_requests")
