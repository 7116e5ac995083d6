from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import Base


class AuthorizationCode(Base):
    """An account-linking authorization code, stored only as its SHA-256.

    It belongs to the client that asked for it and to its ``redirect_uri``; it is redeemed once
    (``used_at``) for the linking token whose hash it then keeps (``token_hash``), which is how
    that token finds its Instacart account.
    """

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("api_clients.client_id", ondelete="CASCADE"), index=True
    )
    instacart_user_id: Mapped[int] = mapped_column(
        ForeignKey("instacart_users.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(
        ForeignKey("access_tokens.token_hash", ondelete="SET NULL"), unique=True
    )
