from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import BigIntKey, UTCDateTime
from aftercart.models.base import Base


class StreamLease(Base):
    """One open event stream, held by the process that serves it, so that the cap on open
    streams per token holds across processes (:mod:`aftercart.events.stream.leases`). The
    process renews its leases while it lives; a dead process's leases expire by themselves."""

    __tablename__ = "stream_leases"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    #: The token's SHA-256, as ``access_tokens.token_hash`` has it.
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: The random id of the process that serves the stream.
    owner: Mapped[str] = mapped_column(String(32), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
