from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base
from aftercart.models.tenant import tenant_id_column


class PosTransaction(Base):
    """A point-of-sale transaction the retailer sent (Instacart's Transaction API).

    ``transaction_id`` is the body's ``id``, which the page calls globally unique: with the tenant
    it is the key, so a resend finds the first send and nothing new is stored. ``body`` is the
    whole validated body; ``body_digest`` what a resend is compared on. ``order_pk`` and
    ``order_id`` name the order when the body did (``order_id`` is an Aftercart addition); the
    row outlives its order.
    """

    __tablename__ = "pos_transactions"
    __table_args__ = (
        Index("ix_pos_transactions_received_at", "received_at", "transaction_id"),
        Index("ix_pos_transactions_order_pk_received_at", "order_pk", "received_at"),
    )

    tenant_id: Mapped[int] = tenant_id_column(primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_pk: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order_id: Mapped[str | None] = mapped_column(String(255))
    store_id: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(64))
    transaction_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    body_digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
