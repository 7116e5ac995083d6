from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import BigIntKey, UTCDateTime, utcnow
from aftercart.models.base import IDS_NEVER_REUSED, Base


class AuthChange(Base):
    """One row per change that must end cached credentials: a token revoked, a user deactivated.

    Every process reads the newest id now and then and forgets its cached tokens when it grows
    (:mod:`aftercart.auth.cache`). ``AUTOINCREMENT`` on SQLite, so an id is never handed out
    twice even after rows are deleted.
    """

    __tablename__ = "auth_changes"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
