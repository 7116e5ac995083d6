from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercart.db.types import UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps
from aftercart.models.order_item import OrderItem
from aftercart.models.tenant import user_key


class Order(Timestamps, Base):
    """A retailer's order. ``order_id`` is the retailer's id; ``id`` is ours.

    ``workflow_state`` is the single source of the order's progress (the batch state, or
    ``brand_new`` / ``canceled``); the wire ``status`` is derived from it by
    :mod:`aftercart.fulfillment.rules`.

    ``initial_tip_cents`` is the tip given at create/update; ``tip_amount_cents`` the one set after
    delivery ("Update a tip"), ``None`` until then. ``cancellation_reason`` is one of
    :class:`aftercart.fulfillment.rules.CancellationReason`.

    ``order_id`` and ``user_id`` are unique within the tenant only.

    ``late`` is set once, by whoever writes the order's Late delivery callback (the timer or the
    sandbox); ``rating_reminder_at`` is when its Rating reminder callback was written (migration
    0013 sets it to ``delivered_at`` for orders delivered before it, which are never reminded).
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        user_key("orders", ondelete=None),
        Index("ix_orders_tenant_id_user_id", "tenant_id", "user_id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column()
    order_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str | None] = mapped_column(String(64))
    service_type: Mapped[str] = mapped_column(String(20))
    workflow_state: Mapped[str] = mapped_column(String(40), default="brand_new")
    location_code: Mapped[str] = mapped_column(ForeignKey("stores.location_code"), index=True)
    service_option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id"))
    window_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    initial_tip_cents: Mapped[int | None] = mapped_column(Integer)
    tip_amount_cents: Mapped[int | None] = mapped_column(Integer)
    tip_adjusted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    loyalty_number: Mapped[str | None] = mapped_column(String(100))
    leave_unattended: Mapped[bool] = mapped_column(Boolean, default=False)
    special_instructions: Mapped[str | None] = mapped_column(Text)
    paid_with_ebt: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(20))
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    cancellation_reason: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    shopper_id: Mapped[int | None] = mapped_column(ForeignKey("shoppers.id"), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rescheduled: Mapped[bool] = mapped_column(Boolean, default=False)

    items: Mapped[list[OrderItem]] = relationship(
        order_by=OrderItem.id, lazy="raise", cascade="all, delete-orphan"
    )
