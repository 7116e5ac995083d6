from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import BigIntKey, UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base


class Event(Base):
    """Append-only log of every change, written in the transaction that makes the change.

    Ids increase in commit order (see :func:`aftercart.db.dialect.serialize_event_writers`), so a
    reader that remembers the last id it saw never misses one. Webhooks and live streams read here.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_order_pk_id", "order_pk", "id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    #: Whose change it was: only that tenant's webhooks and streams see it.
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(80))
    order_pk: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
