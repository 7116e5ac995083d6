from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.models.base import Base


class RateLimitCounter(Base):
    """Hits of one rate-limit key in one fixed window, shared by every process on PostgreSQL
    (:mod:`aftercart.limits.postgres`); on SQLite the counts stay in memory and this table is
    empty.

    Windows are named by their start in seconds since the epoch, as the rules compute them, so
    the times here are whole epoch seconds rather than timestamps.
    """

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    #: When the count stops mattering (the end of the next window); swept after that.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
