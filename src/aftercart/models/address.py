from sqlalchemy import Boolean, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.models.base import Base, Timestamps
from aftercart.models.tenant import user_key


class UserAddress(Timestamps, Base):
    """A validated delivery address of a Connect user; a user may have several.

    The same address sent again is the same row: ``address_key`` is a digest of the normalised
    street lines and ZIP, case ignored (see ``aftercart.fulfillment.address_rules``).
    """

    __tablename__ = "user_addresses"
    __table_args__ = (user_key("user_addresses"),)

    tenant_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    address_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address_line_1: Mapped[str] = mapped_column(String(300))
    address_line_2: Mapped[str | None] = mapped_column(String(300))
    address_type: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(60))
    postal_code: Mapped[str] = mapped_column(String(20))
    zip_plus_four: Mapped[str | None] = mapped_column(String(4))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    long_distance_delivery: Mapped[bool] = mapped_column(Boolean)
