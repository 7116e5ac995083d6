from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import Base
from aftercart.models.tenant import user_key


class UserLink(Base):
    """A Connect user linked to an Instacart account: at most one account per user, and at most
    one user per account (Connect's "one user per isolation context"; a deployment is one)."""

    __tablename__ = "user_links"
    __table_args__ = (user_key("user_links"),)

    tenant_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    instacart_user_id: Mapped[int] = mapped_column(
        ForeignKey("instacart_users.id", ondelete="CASCADE"), unique=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
