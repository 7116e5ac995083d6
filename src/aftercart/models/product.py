from decimal import Decimal

from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps


class Product(Timestamps, Base):
    """A catalog entry, found by UPC or by the retailer's reference code (RRC)."""

    __tablename__ = "products"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    upc: Mapped[str | None] = mapped_column(String(14), unique=True)
    rrc: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[str | None] = mapped_column(String(60))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    sold_by_weight: Mapped[bool] = mapped_column(Boolean, default=False)
