"""The tip after delivery: Instacart's "Update a tip" (``PUT .../orders/{order_id}/tip``) and
its Tip adjustment callback (``fulfillment.tip_adjustment``).

Before delivery the tip changes through an order update (``initial_tip_cents``); this one is for
a delivered delivery order only. The new amount is kept apart from the initial one
(``tip_amount_cents``), so both stay known. Setting the tip it already has changes nothing and
sends no callback.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import IncompatibleOrderStatus, InvalidParameter
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment import rules
from aftercart.fulfillment.orders import order_to_change
from aftercart.models import Order


async def update_tip(
    session: AsyncSession, *, user_id: str, order_id: str, tip_amount_cents: int, now: datetime
) -> Order:
    """Checks: the user (400), the order (404), a pickup order (400), not delivered (3003)."""
    _, order = await order_to_change(session, user_id=user_id, order_id=order_id)
    problem = rules.tip_error(order.service_type)
    if problem:
        raise InvalidParameter(problem, key="tip_amount_cents")
    if not rules.is_delivered(order.workflow_state):
        raise IncompatibleOrderStatus()
    previous = rules.current_tip(order.initial_tip_cents, order.tip_amount_cents)
    if previous == tip_amount_cents:
        return order
    order.tip_amount_cents = tip_amount_cents
    order.tip_adjusted_at = now
    order.updated_at = now
    await session.flush()
    await record_event(
        session,
        names.TIP_ADJUSTMENT,
        order=order,
        metadata={
            "status": rules.order_status(order.workflow_state),
            "previous_tip_amount_cents": previous,
            "tip_amount_cents": tip_amount_cents,
            "adjusted_at": now.isoformat().replace("+00:00", "Z"),
        },
    )
    return order
