from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import BigIntKey, UTCDateTime, utcnow
from aftercart.models.base import Base
from aftercart.models.tenant import user_key


class AccessToken(Base):
    """An issued bearer token; only its SHA-256 is stored. ``order_id`` restricts a token of
    the order-link grant to that one order."""

    __tablename__ = "access_tokens"
    __table_args__ = (
        # The cap on live tokens per client counts them at every issue: only live ones here.
        Index(
            "ix_access_tokens_live_by_client",
            "client_id",
            "expires_at",
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
        user_key("access_tokens"),
        Index("ix_access_tokens_tenant_id_user_id", "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("api_clients.client_id", ondelete="CASCADE"))
    grant_type: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(300))
    #: The client's tenant, kept here so that a user token names a user of that tenant.
    tenant_id: Mapped[int] = mapped_column()
    user_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[str | None] = mapped_column(String(255))
