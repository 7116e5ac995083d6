from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aftercart.db.types import BigIntKey, UTCDateTime, utcnow
from aftercart.models.base import IDS_NEVER_REUSED, Base


class MonitoredRequest(Base):
    """One request a client made and the answer it got, as the sandbox's request monitor keeps
    them: masked and trimmed (:mod:`aftercart.sandbox.monitor_rules`), the last
    ``AFTERCART_MONITOR_SIZE`` per client.

    ``client_id`` has no foreign key on purpose: rows are written in the background after the
    answer is sent, and must neither wait on nor fail with a change to ``api_clients``.
    """

    __tablename__ = "monitored_requests"
    __table_args__ = (
        Index("ix_monitored_requests_client_id_id", "client_id", "id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2000))
    query: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float)
    request_headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    request_body: Mapped[str | None] = mapped_column(Text)
    request_body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    response_headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: An event stream: recorded when it opened, without its body.
    streamed: Mapped[bool] = mapped_column(Boolean, default=False)
