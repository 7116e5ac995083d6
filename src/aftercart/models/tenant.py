from datetime import datetime
from typing import Any, Final

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import IDS_NEVER_REUSED, Base

#: The tenant of everything that existed before tenants did, and of the test suite's rows.
DEFAULT_TENANT: Final = 1


class Tenant(Base):
    """Whose data a row is. Every API client belongs to one tenant, and a tenant sees only its
    own users, orders, shoppers, batches, Instacart users, ratings, events and webhooks.

    Clients of one tenant share everything (a retailer's backend and frontend clients, its
    marketplace clients); ids chosen by the retailer (``user_id``, ``order_id``) are unique
    within a tenant only, so two tenants may both have a user ``1``. Tenant 1 (``default``) holds
    whatever existed before tenants did (migration 0017).
    """

    __tablename__ = "tenants"
    __table_args__ = (IDS_NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def tenant_id_column(**kwargs: Any) -> Mapped[int]:
    """The tenant a row belongs to; a table's one way to know whose it is."""
    return mapped_column(ForeignKey("tenants.id"), **kwargs)


def user_key(table: str, *, ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    """``(tenant_id, user_id)`` of ``table`` naming a user of the same tenant."""
    return ForeignKeyConstraint(
        ["tenant_id", "user_id"],
        ["users.tenant_id", "users.user_id"],
        name=f"fk_{table}_tenant_id_users",
        ondelete=ondelete,
    )
