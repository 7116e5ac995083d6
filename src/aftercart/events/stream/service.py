"""The reads behind a live stream. Each runs in a short session of its own: a stream never
holds a session (or, on SQLite, the write lock) while it waits."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import NotFound
from aftercart.events.stream import rules
from aftercart.models import Event, Order

#: The post-checkout endpoints' message for a missing (or someone else's) order.
ORDER_NOT_FOUND = "Order not found"


@dataclass(frozen=True)
class Message:
    """An event as the stream sends it: its id and the encoded SSE message."""

    event_id: int
    data: bytes


@dataclass(frozen=True)
class Heads:
    """The newest streamed event of an order and the newest event of all (0 when none)."""

    order: int
    overall: int


async def own_order_pk(session: AsyncSession, *, order_id: str, user_id: str | None) -> int:
    """The order's key, if the order is the user's; another user's order is a missing one."""
    order_pk = await session.scalar(
        select(Order.id).where(Order.order_id == order_id, Order.user_id == user_id)
    )
    if order_pk is None or user_id is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order_pk


async def events_after(
    session: AsyncSession, *, order_pk: int, after: int, limit: int
) -> list[Message]:
    rows = await session.execute(
        select(Event.id, Event.name, Event.created_at, Event.metadata_)
        .where(Event.order_pk == order_pk, Event.id > after, Event.name.in_(rules.STREAMED))
        .order_by(Event.id)
        .limit(limit)
    )
    return [
        Message(
            event_id,
            rules.sse_message(event_id=event_id, name=name, created_at=created, metadata=meta),
        )
        for event_id, name, created, meta in rows
    ]


async def heads(session: AsyncSession, *, order_pk: int) -> Heads:
    newest_of_order = (
        select(func.max(Event.id))
        .where(Event.order_pk == order_pk, Event.name.in_(rules.STREAMED))
        .scalar_subquery()
    )
    newest = select(func.max(Event.id)).scalar_subquery()
    row = (await session.execute(select(newest_of_order, newest))).one()
    return Heads(order=row[0] or 0, overall=row[1] or 0)


async def latest_id(session: AsyncSession) -> int:
    return await session.scalar(select(func.max(Event.id))) or 0


async def orders_changed_since(session: AsyncSession, *, after: int) -> dict[int, int]:
    """``order_pk → newest streamed event id`` of the orders with events after ``after``."""
    rows = await session.execute(
        select(Event.order_pk, func.max(Event.id))
        .where(Event.id > after, Event.order_pk.is_not(None), Event.name.in_(rules.STREAMED))
        .group_by(Event.order_pk)
    )
    return {order_pk: newest for order_pk, newest in rows if order_pk is not None}
