from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime, utcnow
from aftercart.models.base import Base
from aftercart.models.tenant import tenant_id_column


class ApiClient(Base):
    """An OAuth application: a retailer's backend (``connect``) or a ``marketplace``.

    ``brand_*`` is how the order status page shows the retailer (``aftercart clients brand``):
    a name, a ``#rrggbb`` colour and a logo (bytes and media type), each optional.
    """

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = tenant_id_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(20), default="connect")
    marketplace: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    brand_name: Mapped[str | None] = mapped_column(String(100))
    brand_colour: Mapped[str | None] = mapped_column(String(7))
    brand_logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    brand_logo_type: Mapped[str | None] = mapped_column(String(40))
