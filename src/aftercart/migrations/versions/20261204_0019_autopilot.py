"""autopilot shoppers: sandbox shoppers that play the tenant's new orders by themselves

``autopilots`` holds each autopilot (its shopper, seed, mix of outcomes, decision timeout and
step length; ``free_at`` is when it may take its next order, ``stopped_at`` when it was turned
off); a shopper has at most one that is not stopped (a partial unique index). ``autopilot_runs``
holds each order an autopilot took: its batch, the phase reached, the next step's time and the
steps played, which a step claims so that it is played once. Both ids are shown: never reused.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("stopped_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "autopilots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("mix_found", sa.Float(), nullable=False),
        sa.Column("mix_partly_found", sa.Float(), nullable=False),
        sa.Column("mix_replaced", sa.Float(), nullable=False),
        sa.Column("mix_refunded", sa.Float(), nullable=False),
        sa.Column("decision_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("step_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("free_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shopper_id"], ["shoppers.id"], name=op.f("fk_autopilots_shopper_id_shoppers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_autopilots_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopilots")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_autopilots_tenant_id"), "autopilots", ["tenant_id"], unique=False)
    op.create_index(
        "uq_autopilots_shopper_id_active",
        "autopilots",
        ["shopper_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "autopilot_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("autopilot_id", sa.Integer(), nullable=False),
        sa.Column("order_pk", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("next_step_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replied_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", aftercart_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["autopilot_id"],
            ["autopilots.id"],
            name=op.f("fk_autopilot_runs_autopilot_id_autopilots"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_autopilot_runs_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["order_pk"], ["orders.id"], name=op.f("fk_autopilot_runs_order_pk_orders")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_autopilot_runs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopilot_runs")),
        sa.UniqueConstraint("order_pk", name=op.f("uq_autopilot_runs_order_pk")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_autopilot_runs_autopilot_id"), "autopilot_runs", ["autopilot_id"], unique=False
    )
    op.create_index(
        "ix_autopilot_runs_tenant_id_next_step_at",
        "autopilot_runs",
        ["tenant_id", "next_step_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_autopilot_runs_tenant_id_next_step_at", table_name="autopilot_runs")
    op.drop_index(op.f("ix_autopilot_runs_autopilot_id"), table_name="autopilot_runs")
    op.drop_table("autopilot_runs")
    op.drop_index("uq_autopilots_shopper_id_active", table_name="autopilots")
    op.drop_index(op.f("ix_autopilots_tenant_id"), table_name="autopilots")
    op.drop_table("autopilots")
