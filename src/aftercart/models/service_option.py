from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base
from aftercart.models.tenant import user_key


class ServiceOption(Base):
    """A time slot of one store for one kind of service, with a capacity in orders."""

    __tablename__ = "service_options"
    __table_args__ = (
        UniqueConstraint("location_code", "service_type", "window_starts_at"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    location_code: Mapped[str] = mapped_column(
        ForeignKey("stores.location_code", ondelete="CASCADE")
    )
    service_type: Mapped[str] = mapped_column(String(20))
    window_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]


class ServiceOptionHold(Base):
    """A user's 10-minute claim on a slot; a user holds at most one."""

    __tablename__ = "service_option_holds"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        user_key("service_option_holds"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column()
    user_id: Mapped[str] = mapped_column(String(255))
    service_option_id: Mapped[int] = mapped_column(
        ForeignKey("service_options.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
