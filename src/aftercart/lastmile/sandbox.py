"""The sandbox's ``delivery_only`` batch: a shopper collects a staged last-mile order and
delivers it (Connect's "Advance the batch status", last mile table).

:mod:`aftercart.sandbox.batches` walks the batch; this module says which orders such a batch
may take and writes the last-mile callbacks around each state's own event: At store ETA after
Acknowledged for delivery (the shopper heads to the store), Arrival at customer before Delivered
(the shopper is at the door). Every last-mile event carries the package (``bag_label``,
``bags_count``, ``items_count``) so that the store can hand over the right bags.
"""

from datetime import timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.lastmile.rules import STAGED_FOR_DELIVERY
from aftercart.models import LastMileOrder, Order

#: How far the sandbox's shopper is from the store when they accept the trip.
STORE_ETA: Final = timedelta(minutes=10)
ACKNOWLEDGED_FOR_DELIVERY: Final = "acknowledged_for_delivery"
COMPLETED: Final = "completed"


def batchable(order: Order) -> bool:
    """A last-mile order joins a batch once staged, and only one batch."""
    return order.workflow_state == STAGED_FOR_DELIVERY and order.batch_id is None


async def package(session: AsyncSession, order: Order) -> dict[str, Any]:
    details = await session.get(LastMileOrder, order.id)
    if details is None:
        return {}
    return {
        "bag_label": details.bag_label,
        "bags_count": details.bags_count,
        "items_count": details.items_count,
    }


async def record(session: AsyncSession, order: Order, event: str, metadata: dict[str, Any]) -> None:
    """Writes the state's ``event`` for a last-mile order, with the callbacks that go with it."""
    metadata = metadata | await package(session, order)
    state = metadata.get("workflow_state")
    if state == COMPLETED:
        await record_event(session, names.ARRIVAL_AT_CUSTOMER, order=order, metadata=metadata)
    await record_event(session, event, order=order, metadata=metadata)
    if state == ACKNOWLEDGED_FOR_DELIVERY:
        eta = (clock.now() + STORE_ETA).replace(microsecond=0)
        await record_event(
            session,
            names.AT_STORE_ETA,
            order=order,
            metadata=metadata | {"eta": eta.isoformat()},
        )
