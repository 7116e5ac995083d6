from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base
from aftercart.models.tenant import tenant_id_column


class InstacartUser(Base):
    """A sandbox Instacart account (Instacart-generated integer id), which a Connect user links to.

    Only a salted scrypt hash of the password is kept (``auth.secrets.hash_password``).
    ``express_member`` is the deprecated name of the same membership, so one flag holds both.
    """

    __tablename__ = "instacart_users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column()
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    instacartplus_member: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
