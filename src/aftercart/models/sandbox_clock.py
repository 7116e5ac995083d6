from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base


class SandboxClock(Base):
    """A tenant whose sandbox clock is frozen: its orders live at ``frozen_at`` (no row: the
    wall clock)."""

    __tablename__ = "sandbox_clocks"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
