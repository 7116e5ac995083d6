from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base, Timestamps
from aftercart.models.tenant import tenant_id_column


class Shopper(Base):
    """A sandbox shopper (Instacart-generated integer id); email and phone are unique within
    the tenant."""

    __tablename__ = "shoppers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "phone"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column()
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Batch(Timestamps, Base):
    """A shopper's unit of work over one or more orders, moving through a workflow."""

    __tablename__ = "batches"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column()
    shopper_id: Mapped[int] = mapped_column(ForeignKey("shoppers.id"), index=True)
    batch_type: Mapped[str] = mapped_column(String(30))
    workflow_state: Mapped[str] = mapped_column(String(40))
