from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import BigIntKey, UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps
from aftercart.models.tenant import tenant_id_column


class Rating(Timestamps, Base):
    """Every rating in one store, whatever way it arrived.

    ``source`` is ``connect`` (a customer's rating, through the frontend or backend endpoint) or a
    marketplace name such as ``yandex_eats``. ``dedupe_key`` is what makes a resend an update: the
    order for Connect, the feedback id (else the ``eatsId``) for a marketplace, within the tenant.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "dedupe_key"),
        Index("ix_ratings_created_at_id", "created_at", "id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column()
    source: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(20))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    order_pk: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    order_ref: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    location_code: Mapped[str | None] = mapped_column(String(64), index=True)
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    rating_value: Mapped[str | None] = mapped_column(String(10))
    highlights: Mapped[list[str]] = mapped_column(JSON, default=list)
    thank_you_note: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    predefined_comment: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_order_id: Mapped[str | None] = mapped_column(String(64))
    restaurant_id: Mapped[str | None] = mapped_column(String(255))
    order_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    order_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    feedback_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
