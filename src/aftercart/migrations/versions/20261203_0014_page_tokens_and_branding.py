"""page tokens and branding: a token restricted to one order, and a client's branding

``access_tokens.order_id`` is set on tokens of the order-link grant: the order status page
exchanges its signed link for one, and it opens that order's endpoints only.
``api_clients.brand_*`` is what the status page shows of the retailer (``aftercart clients
brand``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("access_tokens", sa.Column("order_id", sa.String(255), nullable=True))
    op.add_column("api_clients", sa.Column("brand_name", sa.String(100), nullable=True))
    op.add_column("api_clients", sa.Column("brand_colour", sa.String(7), nullable=True))
    op.add_column("api_clients", sa.Column("brand_logo", sa.LargeBinary(), nullable=True))
    op.add_column("api_clients", sa.Column("brand_logo_type", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        for column in ("brand_logo_type", "brand_logo", "brand_colour", "brand_name"):
            batch.drop_column(column)
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_column("order_id")
