"""account linking: sandbox Instacart users, authorization codes, links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instacart_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("instacartplus_member", sa.Boolean(), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instacart_users")),
        sa.UniqueConstraint("email", name=op.f("uq_instacart_users_email")),
        # Ids are shown and kept by clients: never handed out twice (see migration 0003).
        sqlite_autoincrement=True,
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("instacart_user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=True),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.client_id"],
            name=op.f("fk_authorization_codes_client_id_api_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instacart_user_id"],
            ["instacart_users.id"],
            name=op.f("fk_authorization_codes_instacart_user_id_instacart_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_hash"],
            ["access_tokens.token_hash"],
            name=op.f("fk_authorization_codes_token_hash_access_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_authorization_codes_token_hash")),
    )
    op.create_index(
        op.f("ix_authorization_codes_client_id"),
        "authorization_codes",
        ["client_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_authorization_codes_instacart_user_id"),
        "authorization_codes",
        ["instacart_user_id"],
        unique=False,
    )
    op.create_table(
        "user_links",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("instacart_user_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_user_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instacart_user_id"],
            ["instacart_users.id"],
            name=op.f("fk_user_links_instacart_user_id_instacart_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_links")),
        sa.UniqueConstraint("instacart_user_id", name=op.f("uq_user_links_instacart_user_id")),
    )


def downgrade() -> None:
    op.drop_table("user_links")
    op.drop_index(
        op.f("ix_authorization_codes_instacart_user_id"), table_name="authorization_codes"
    )
    op.drop_index(op.f("ix_authorization_codes_client_id"), table_name="authorization_codes")
    op.drop_table("authorization_codes")
    op.drop_table("instacart_users")
