from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base


class ServerSecret(Base):
    """A secret the service generates for itself on first start (e.g. the key that signs order
    status page links), kept in the database so every process on it signs alike and links
    survive restarts. A secret set in the settings takes precedence and is never stored."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
