from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import BigIntKey, UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base


class ChatMessage(Base):
    """One chat message; ``id`` order is the conversation's order."""

    __tablename__ = "chat_messages"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
