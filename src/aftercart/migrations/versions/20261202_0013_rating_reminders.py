"""rating reminders: when an order's Rating reminder callback was written

Orders delivered before this migration count as reminded (the column takes their
``delivered_at``): an upgrade must not remind every unrated order of the past at once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

orders = sa.table(
    "orders",
    sa.column("delivered_at", aftercart_types.UTCDateTime(timezone=True)),
    sa.column("rating_reminder_at", aftercart_types.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("rating_reminder_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        orders.update()
        .where(orders.c.delivered_at.is_not(None))
        .values(rating_reminder_at=orders.c.delivered_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("rating_reminder_at")
