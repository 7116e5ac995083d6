from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base, Timestamps


class LastMileOrder(Timestamps, Base):
    """The last-mile side of one order (service type ``last_mile``): the retailer picked and
    packed it, an Instacart shopper only carries the bags (Connect's "Create a last mile
    delivery order" and "Stage a last mile delivery order" pages).

    ``dispatch`` marks an order created by the single-call dispatch API
    (``POST /v2/fulfillment/lastmile/orders``), whose ``metadata_`` is echoed in its answers and
    whose ``requested_*`` window is the one the retailer asked for (the order's own window is the
    one served, which differs after a same-day fallback). ``staged_at`` is set once by staging.
    """

    __tablename__ = "last_mile_orders"

    order_pk: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    dispatch: Mapped[bool] = mapped_column(Boolean, default=False)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    user_phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(255))
    items_count: Mapped[int] = mapped_column(Integer)
    bags_count: Mapped[int | None] = mapped_column(Integer)
    items_weight: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    cart_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    bag_label: Mapped[str | None] = mapped_column(String(255))
    bag_scan_codes: Mapped[list[str] | None] = mapped_column(JSON)
    alcoholic: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fell_back: Mapped[bool] = mapped_column(Boolean, default=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    staged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
