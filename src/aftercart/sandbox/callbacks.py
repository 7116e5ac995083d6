"""Simulated order callbacks and the shopper's chat messages."""

from datetime import timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import IncompatibleOrderStatus
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import late_delivery_payload, window_payload
from aftercart.fulfillment.rules import (
    CANCELED,
    SIMULATED_CANCELLATION,
    is_delivered,
    order_status,
)
from aftercart.models import Order
from aftercart.post_checkout.schemas import ChatMessage as ChatMessageView
from aftercart.post_checkout.service import add_message
from aftercart.sandbox import rules
from aftercart.sandbox.lookup import ShopperOrderRef, locked_order, shoppers_order
from aftercart.sandbox.schemas import Callback, MessageCreate, parse

#: How far a simulated reschedule moves the delivery window: the same hours, one day later.
RESCHEDULE_BY: Final = timedelta(days=1)

EVENTS: Final = {
    "canceled": names.CANCELED,
    "rescheduled": names.RESCHEDULED,
    "late_delivery": names.LATE_DELIVERY,
}


async def simulate_callback(
    session: AsyncSession, *, order_ref: str, body: dict[str, Any] | None, internal: bool = False
) -> Order:
    """Changes the order as the event says and records the event: ``canceled`` cancels it (on
    Instacart's side: ``instacart_driven``), ``rescheduled`` moves its window by
    :data:`RESCHEDULE_BY`, ``late_delivery`` marks it late. An order already canceled or
    delivered can't take any of them (3003).

    Late delivery is sent once per order: for an order already late (an earlier call, or the
    timer of :mod:`aftercart.post_checkout.order_timers`) the call succeeds and sends nothing, so
    a client that retries it is not told an error for a state it asked for."""
    order = await locked_order(session, order_ref, internal=internal)
    event_name = parse(Callback, body).event_name
    if order.workflow_state == CANCELED or is_delivered(order.workflow_state):
        raise IncompatibleOrderStatus()
    if event_name == "late_delivery" and order.late:
        return order
    metadata: dict[str, Any] = {}
    if event_name == "canceled":
        order.workflow_state = CANCELED
        order.cancellation_reason = SIMULATED_CANCELLATION.value
        metadata = {
            "status": order_status(CANCELED),
            "cancellation_reason": order.cancellation_reason,
        }
    elif event_name == "rescheduled":
        order.rescheduled = True
        if order.window_starts_at is not None:
            order.window_starts_at += RESCHEDULE_BY
        if order.window_ends_at is not None:
            order.window_ends_at += RESCHEDULE_BY
        metadata = window_payload(order)
    else:
        order.late = True
        metadata = late_delivery_payload(order)
    await session.flush()
    await record_event(session, EVENTS[event_name], order=order, metadata=metadata)
    return order


async def post_message(
    session: AsyncSession, *, target: ShopperOrderRef, body: dict[str, Any] | None
) -> ChatMessageView:
    """A chat message from the order's shopper to the customer (the post-checkout document's
    ``ChatMessage``)."""
    order = await shoppers_order(session, target, with_items=False)
    text = rules.check_message(parse(MessageCreate, body).body)
    return await add_message(session, order=order, sender="shopper", body=text)
