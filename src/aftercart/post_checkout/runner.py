"""The curbside handoff: an order's pickup status and the ``runner_customer`` batch that runs
its bags out, with the pickup callbacks each change writes.

Shared by the sandbox (generating and advancing runner batches) and the customer's own pickup
calls (``pickup.py``): a customer's ``user_arrived`` is the runner batch's ``at_store``, from
whichever side it comes first.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment.rules import order_status
from aftercart.models import Batch, Order, PickupStatus
from aftercart.post_checkout import pickup_rules

BRAND_NEW = "brand_new"
AT_STORE = "at_store"
COMPLETED = "completed"

#: The callback each runner signal writes (see ``sandbox.rules.RUNNER_SIGNALS``).
SIGNAL_EVENTS = {
    "pickup_geofence_reached": names.PICKUP_GEOFENCE_REACHED,
    "runner_not_found": names.RUNNER_NOT_FOUND,
    "unable_to_find_customer": names.UNABLE_TO_FIND_CUSTOMER,
}


async def status_of(session: AsyncSession, order: Order) -> PickupStatus | None:
    return await session.scalar(
        select(PickupStatus)
        .where(PickupStatus.order_pk == order.id)
        .execution_options(populate_existing=True)
    )


async def ensure_status(session: AsyncSession, order: Order, *, category: str) -> PickupStatus:
    """The order's pickup status, created with the retailer's pickup category if it has none.
    The caller holds the order's lock, so two requests cannot both create it."""
    status = await status_of(session, order)
    if status is None:
        status = PickupStatus(order_pk=order.id, pickup_category=category)
        session.add(status)
        await session.flush()
    return status


async def mark_ready(session: AsyncSession, order: Order, *, category: str) -> None:
    """The pickup batch staged the order: it is ready for pickup from now."""
    status = await ensure_status(session, order, category=category)
    if status.ready_at is None:
        status.ready_at = clock.now()
        await session.flush()


async def customer_view(session: AsyncSession, order: Order) -> str | None:
    """A staged pickup order's curbside state for the customer; ``None`` for any other."""
    if order.service_type != "pickup" or order.workflow_state != "staged":
        return None
    status = await status_of(session, order)
    if status is None:
        return None
    batch = await runner_batch(session, status)
    return pickup_rules.customer_view(
        arrived=status.arrived_at is not None,
        runner_state=batch.workflow_state if batch is not None else None,
    )


async def runner_batch(session: AsyncSession, status: PickupStatus) -> Batch | None:
    if status.runner_batch_id is None:
        return None
    return await session.get(Batch, status.runner_batch_id)


def runner_metadata(batch: Batch, status: PickupStatus, state: str) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "runner_id": batch.shopper_id,
        "workflow_state": state,
        "pickup_category": status.pickup_category,
    }


async def record_arrival(
    session: AsyncSession, order: Order, status: PickupStatus, *, as_delegate: bool
) -> bool:
    """The customer (or their delegate) is at the store: recorded once, with the Customer
    acknowledged callback; an arrival already recorded is left as it is."""
    if status.arrived_at is not None:
        return False
    status.arrived_at = clock.now()
    status.arrived_as_delegate = as_delegate
    await session.flush()
    await record_event(
        session,
        names.CUSTOMER_ACKNOWLEDGED,
        order=order,
        metadata={
            "arrived_at": status.arrived_at.isoformat().replace("+00:00", "Z"),
            "is_pickup_delegate": as_delegate,
            "pickup_category": status.pickup_category,
        },
    )
    return True


async def enter(
    session: AsyncSession, batch: Batch, order: Order, status: PickupStatus, state: str
) -> None:
    """Moves the handoff into the runner batch's ``state``. ``at_store``: the customer arrived
    (recorded here if the sandbox says so first) and the runner starts out with the bags;
    ``completed``: the customer has the order (the order is ``completed``, Delivered)."""
    if state == AT_STORE:
        await record_arrival(session, order, status, as_delegate=False)
        await record_event(
            session,
            names.PICKUP_RUNNER_STARTED,
            order=order,
            metadata=runner_metadata(batch, status, state),
        )
    elif state == COMPLETED:
        order.workflow_state = COMPLETED
        order.delivered_at = clock.now()
        await session.flush()
        await record_event(
            session,
            names.DELIVERED,
            order=order,
            metadata={
                "batch_id": batch.id,
                "shopper_id": batch.shopper_id,
                "workflow_state": COMPLETED,
                "status": order_status(COMPLETED),
            },
        )


async def signal(
    session: AsyncSession, batch: Batch, order: Order, status: PickupStatus, name: str
) -> None:
    """A happening of the handoff that does not move the runner forward. The runner who cannot
    find the customer goes back in: the arrival is cleared and the batch is ``brand_new``."""
    if name == "unable_to_find_customer":
        status.arrived_at = None
        status.arrived_as_delegate = False
        batch.workflow_state = BRAND_NEW
        await session.flush()
    await record_event(
        session,
        SIGNAL_EVENTS[name],
        order=order,
        metadata=runner_metadata(batch, status, batch.workflow_state),
    )
