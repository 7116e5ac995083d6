"""What the order's events say to the customer: the automated lifecycle messages, and when the
order ended (delivered or canceled), from which the chat's 24 hours are counted."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.events import names
from aftercart.fulfillment.rules import CANCELED, is_delivered
from aftercart.models import Event, Order
from aftercart.post_checkout import rules
from aftercart.post_checkout import schemas as s


async def ended_at(session: AsyncSession, order: Order) -> datetime | None:
    """When the order was delivered (``delivered_at``) or canceled (its latest Canceled event);
    None while it is under way. An order ended without its event (written straight into the
    database) counts from its last change."""
    if is_delivered(order.workflow_state):
        if order.delivered_at is not None:
            return order.delivered_at
        return await _last_event_at(session, order, names.DELIVERED) or order.updated_at
    if order.workflow_state == CANCELED:
        return await _last_event_at(session, order, names.CANCELED) or order.updated_at
    return None


async def _last_event_at(session: AsyncSession, order: Order, name: str) -> datetime | None:
    return await session.scalar(
        select(Event.created_at)
        .where(Event.order_pk == order.id, Event.name == name)
        .order_by(Event.id.desc())
        .limit(1)
    )


async def lifecycle_messages(session: AsyncSession, order: Order) -> list[s.LifecycleMessage]:
    rows = await session.execute(
        select(Event.id, Event.name, Event.created_at)
        .where(Event.order_pk == order.id, Event.name.in_(rules.LIFECYCLE_MESSAGES))
        .order_by(Event.id)
    )
    messages = []
    for event_id, name, created_at in rows:
        kind = rules.LIFECYCLE_MESSAGES[name]
        messages.append(
            s.LifecycleMessage(id=event_id, type=kind.type, body=kind.body, created_at=created_at)
        )
    return messages
