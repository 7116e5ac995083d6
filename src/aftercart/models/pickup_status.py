from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import Base, Timestamps


class PickupStatus(Timestamps, Base):
    """The curbside side of one pickup order (Connect's post-checkout pickup pages).

    A row exists once the order has a pickup status: when its pickup batch is staged (the order
    is then ready for pickup) or when the customer names a pickup delegate, whichever comes
    first; a delivery order never has one ("No pickup status found for order").

    ``runner_batch_id`` is the ``runner_customer`` batch that runs the bags out (the order's own
    ``batch_id`` stays its pickup batch). ``late_pickup_at`` is set once, by the one process
    whose conditional update wins, when the Late pickup callback is written.
    """

    __tablename__ = "pickup_statuses"

    order_pk: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    pickup_category: Mapped[str] = mapped_column(String(20), default="curbside")
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_as_delegate: Mapped[bool] = mapped_column(Boolean, default=False)
    delegate_name: Mapped[str | None] = mapped_column(String(200))
    delegate_phone_number: Mapped[str | None] = mapped_column(String(40))
    runner_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    late_pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
