from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base


class ShopperLocation(Base):
    """Where the shopper of an order was, one row per position while it is delivering.

    ``seq`` numbers an order's positions 1, 2, … (written under the order's lock): the first is
    the trip's start at the store, the highest the current position. The key never leaves the
    database, so it needs no generated id.
    """

    __tablename__ = "shopper_locations"

    order_pk: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
