from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.models.base import Base, Timestamps
from aftercart.models.tenant import tenant_id_column


class User(Timestamps, Base):
    """A Connect user; ``user_id`` is chosen by the retailer, unique within its tenant."""

    __tablename__ = "users"

    tenant_id: Mapped[int] = tenant_id_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    phone_number: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
