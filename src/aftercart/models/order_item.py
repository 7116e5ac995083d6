from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps
from aftercart.models.product import Product


class OrderItem(Timestamps, Base):
    """One line of an order: what was asked for and what the shopper did with it.

    ``shopper_status`` uses the values of Instacart's "Update an order item as a shopper";
    ``not_found`` is the initial one, and setting it again returns the item to that state.
    ``replacement_status`` is the customer's decision on a replacement (``PENDING``,
    ``APPROVED``, ``REJECTED``), or ``None`` when there is none.
    """

    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_pk", "line_num"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_num: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    count: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    special_instructions: Mapped[str | None] = mapped_column(Text)
    replacement_policy: Mapped[str] = mapped_column(String(30), default="shoppers_choice")
    replacement_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_shopper: Mapped[bool] = mapped_column(Boolean, default=False)
    shopper_status: Mapped[str] = mapped_column(String(20), default="not_found")
    delivered_count: Mapped[int | None] = mapped_column(Integer)
    delivered_weight: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    replacement_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    replacement_status: Mapped[str | None] = mapped_column(String(20))
    scans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    product: Mapped[Product] = relationship(foreign_keys=[product_id], lazy="raise")
    replacement_product: Mapped[Product | None] = relationship(
        foreign_keys=[replacement_product_id], lazy="raise"
    )
