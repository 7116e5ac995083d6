from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import UTCDateTime
from aftercart.models.base import IDS_NEVER_REUSED, Base
from aftercart.models.tenant import tenant_id_column

#: A shopper has at most one autopilot that is not stopped.
_ACTIVE = text("stopped_at IS NULL")


class Autopilot(Base):
    """A sandbox shopper played by Aftercart (:mod:`aftercart.sandbox.autopilot`): it takes the
    tenant's new delivery orders one at a time and plays each, one step every ``step_seconds``
    of clock time, picking each line as the seeded ``mix`` of outcomes says.

    ``free_at`` is when the shopper may take its next order (``NULL`` while one is played, and
    once stopped); taking an order claims the row by setting it to ``NULL``.
    """

    __tablename__ = "autopilots"
    __table_args__ = (
        Index(
            "uq_autopilots_shopper_id_active",
            "shopper_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column(index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("shoppers.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    mix_found: Mapped[float] = mapped_column(Float)
    mix_partly_found: Mapped[float] = mapped_column(Float)
    mix_replaced: Mapped[float] = mapped_column(Float)
    mix_refunded: Mapped[float] = mapped_column(Float)
    decision_timeout_seconds: Mapped[int] = mapped_column(Integer)
    step_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    free_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AutopilotRun(Base):
    """One order an autopilot took, in its own batch, and where its play is.

    ``phase`` is the batch's state after the last step (``canceled`` when the order was
    canceled under it); ``item_index`` how many lines were picked; ``step`` how many steps were
    played, which is what a step claims (``UPDATE … WHERE step = :seen``) so that each is
    played once. ``next_step_at`` is ``NULL`` once the run is over or its autopilot stopped.
    """

    __tablename__ = "autopilot_runs"
    __table_args__ = (
        Index("ix_autopilot_runs_tenant_id_next_step_at", "tenant_id", "next_step_at"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = tenant_id_column()
    autopilot_id: Mapped[int] = mapped_column(ForeignKey("autopilots.id"), index=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    phase: Mapped[str] = mapped_column(String(40))
    item_index: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The newest customer chat message answered (its id), so each gets one reply.
    replied_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
