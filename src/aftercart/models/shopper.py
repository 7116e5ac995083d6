from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps


class Shopper(Base):
    """A sandbox shopper (Instacart-generated integer id)."""

    __tablename__ = "shoppers"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Batch(Timestamps, Base):
    """A shopper's unit of work over one or more orders, moving through a workflow."""

    __tablename__ = "batches"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("shoppers.id"), index=True)
    batch_type: Mapped[str] = mapped_column(String(30))
    workflow_state: Mapped[str] = mapped_column(String(40))
