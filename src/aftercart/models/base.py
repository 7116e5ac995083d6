"""Declarative base with stable constraint names on every dialect."""

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aftercart import clock
from aftercart.db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``__table_args__`` of a table whose ids leave the database (shown, kept by clients, used as
#: cursors or as ``webhook-id``): ``AUTOINCREMENT`` on SQLite, which otherwise hands the id of a
#: deleted newest row to the next insert. PostgreSQL's sequences never hand out a value twice.
IDS_NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    """When a row was made and last changed, on the order domain's time (a tenant's frozen
    sandbox clock, when it has one: :mod:`aftercart.clock`)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class WallTimestamps:
    """:class:`Timestamps` on the wall clock, for rows whose times schedule real work (the
    webhook queue's retry window counts from a delivery's ``created_at``)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
