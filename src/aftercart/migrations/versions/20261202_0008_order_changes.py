"""order changes: tips, cancellation reasons, order status page tokens

Adds the tip set after delivery (``tip_amount_cents``, ``tip_adjusted_at``) and turns the free-text
``cancellation_reason`` of existing orders into Connect's values. Status page tokens are an HMAC of
the order id (``aftercart.fulfillment.status_tokens``) under a key the service generates once and
keeps in ``server_secrets``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Connect's values, spelled out here: a migration must not change when the app's enum does.
REASONS = (
    "customer_driven",
    "instacart_driven",
    "retailer_driven",
    "shopper_driven",
    "unbatchable",
    "other",
)
#: What earlier versions wrote, and the value each becomes (``other`` for anything else).
LEGACY_TEXT = {
    "Canceled by the retailer": "retailer_driven",
    "Canceled by Instacart (sandbox simulated callback)": "instacart_driven",
}

orders = sa.table(
    "orders",
    sa.column("workflow_state", sa.String),
    sa.column("cancellation_reason", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.add_column("orders", sa.Column("tip_amount_cents", sa.Integer(), nullable=True))
    op.add_column(
        "orders",
        sa.Column("tip_adjusted_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
    )
    reason = orders.c.cancellation_reason
    for text, value in LEGACY_TEXT.items():
        op.execute(orders.update().where(reason == text).values(cancellation_reason=value))
    op.execute(
        orders.update()
        .where(orders.c.workflow_state == "canceled")
        .where(sa.or_(reason.is_(None), reason.not_in(REASONS)))
        .values(cancellation_reason="other")
    )


def downgrade() -> None:
    reason = orders.c.cancellation_reason
    for text, value in LEGACY_TEXT.items():
        op.execute(orders.update().where(reason == value).values(cancellation_reason=text))
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("tip_adjusted_at")
        batch.drop_column("tip_amount_cents")
    op.drop_table("server_secrets")
