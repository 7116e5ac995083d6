from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import IDS_NEVER_REUSED, Base


class SandboxFault(Base):
    """A sandbox fault rule of one client (``aftercart.sandbox.fault_rules`` says what the
    columns mean). ``consulted`` counts the requests or deliveries the rule was drawn for: the
    n-th draw depends only on ``seed`` and n, so every process draws the same sequence."""

    __tablename__ = "sandbox_faults"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("api_clients.client_id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))
    pattern: Mapped[str] = mapped_column(String(500))
    probability: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger)
    effect: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    consulted: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
