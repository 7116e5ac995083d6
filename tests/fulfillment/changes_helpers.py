"""Helpers for the order-changes tests: orders put in a state, callbacks really delivered."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events.webhooks import worker
from aftercart.models import Event, Order, WebhookDelivery
from tests.webhooks.helpers import Receiver, sender_for

Sessions = async_sessionmaker[AsyncSession]


async def set_state(sessions: Sessions, order_id: str, state: str) -> None:
    async with sessions() as session:
        await session.execute(
            update(Order).where(Order.order_id == order_id).values(workflow_state=state)
        )
        await session.commit()


async def delivered_callbacks(sessions: Sessions, name: str) -> list[dict[str, Any]]:
    """Every delivery owed for events named ``name``, sent through the webhook worker to an
    in-memory receiver: the bodies as the retailer gets them."""
    async with sessions() as session:
        owed = await session.scalars(
            select(WebhookDelivery.id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(Event.name == name)
            .order_by(WebhookDelivery.id)
        )
        ids = list(owed.all())
    receiver = Receiver()
    for delivery_id in ids:
        await worker.send(sessions, delivery_id, sender=sender_for(receiver))
    return receiver.bodies()
