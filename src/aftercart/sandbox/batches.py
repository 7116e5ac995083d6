"""Sandbox batches: a shopper takes orders and moves them through the workflow (reference §5.1).

Locks are always taken batch first, then its orders in ``order_id`` order, and all of them before
the first event is written (writing an event takes the event-ordering lock), so two requests on
overlapping orders wait for each other instead of deadlocking.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.types import utcnow
from aftercart.errors import AftercartError, InvalidParameter, NotFound
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.fulfillment.rules import BRAND_NEW, CANCELED, order_status
from aftercart.models import Batch, Order, Shopper
from aftercart.sandbox import rules
from aftercart.sandbox.lookup import find_locked_order, internal_id
from aftercart.sandbox.schemas import BatchAdvance, BatchOrder, parse

UNBATCHABLE = "Orders unbatchable"
MAX_ID = 2**31


async def create_batch(
    session: AsyncSession,
    *,
    shopper_id: int,
    orders: Sequence[BatchOrder],
    batch_type: str | None = None,
    workflow_state: str | None = None,
    internal: bool = False,
) -> Batch:
    """Assigns brand-new orders to a shopper and walks them to ``acknowledged`` (or on to the
    requested ``workflow_state``), writing each step's events."""
    if not 0 < shopper_id < MAX_ID or await session.get(Shopper, shopper_id) is None:
        raise InvalidParameter("Shopper not found", key="shopper_id")
    if not orders:
        raise InvalidParameter("can't be blank", key="orders")
    locked = await _lock_batchable(session, orders, internal=internal)
    batch_type = _batch_type(batch_type, locked)
    steps = rules.initial_steps(batch_type, workflow_state)

    batch = Batch(shopper_id=shopper_id, batch_type=batch_type, workflow_state=BRAND_NEW)
    session.add(batch)
    await session.flush()
    for order in locked:
        order.batch_id = batch.id
        order.shopper_id = shopper_id
    await _walk(session, batch, locked, steps)
    return batch


async def advance_batch(
    session: AsyncSession, *, batch_ref: str, body: dict[str, Any] | None = None
) -> Batch:
    """One step forward, or every step up to ``workflow_state``, each with its events."""
    batch_pk = internal_id(batch_ref)
    batch = None
    if batch_pk is not None:
        batch = await session.scalar(
            select(Batch)
            .where(Batch.id == batch_pk)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if batch is None:
        raise NotFound()
    target = parse(BatchAdvance, body).workflow_state
    steps = rules.steps_to(batch.batch_type, batch.workflow_state, target)
    order_ids = await session.scalars(
        select(Order.order_id).where(Order.batch_id == batch.id).order_by(Order.order_id)
    )
    orders = []
    for order_id in order_ids.all():
        order = await find_locked_order(session, order_id, internal=False)
        if order is not None:
            orders.append(order)
    await _walk(session, batch, orders, steps)
    return batch


async def _lock_batchable(
    session: AsyncSession, refs: Sequence[BatchOrder], *, internal: bool
) -> list[Order]:
    """The orders, locked in a stable order; every one that can't join a batch is reported."""
    found: dict[int, Order] = {}
    errors: list[AftercartError] = []
    for index in sorted(range(len(refs)), key=lambda i: refs[i].id):
        ref = refs[index]
        order = await find_locked_order(session, ref.id, internal=internal)
        if order is None or (ref.user_id is not None and ref.user_id != order.user_id):
            errors.append(InvalidParameter("Order not found", key=f"orders[{index}]"))
        elif order in found.values() or not _batchable(order):
            errors.append(InvalidParameter(UNBATCHABLE, key=f"orders[{index}]"))
        else:
            found[index] = order
    rules.raise_all(sorted(errors, key=lambda error: error.key or ""))
    return [found[index] for index in sorted(found)]


def _batchable(order: Order) -> bool:
    """Only a brand-new order outside any batch (so never a canceled one)."""
    return order.workflow_state == BRAND_NEW and order.batch_id is None


def _batch_type(requested: str | None, orders: Sequence[Order]) -> str:
    """The requested type, else the orders' service type; every order must be of that type."""
    batch_type = requested or orders[0].service_type
    for index, order in enumerate(orders):
        if order.service_type != batch_type:
            raise InvalidParameter(
                f"{batch_type} doesn't match the service type of orders[{index}] "
                f"({order.service_type})",
                key="batch_type",
            )
    if batch_type not in rules.WORKFLOWS:
        raise InvalidParameter("is not included in the list", key="batch_type")
    return batch_type


async def _walk(
    session: AsyncSession, batch: Batch, orders: Sequence[Order], steps: Sequence[str]
) -> None:
    for step in steps:
        for order in orders:
            if order.workflow_state != CANCELED:
                await _enter(session, batch, order, step)
        batch.workflow_state = step
    await session.flush()


async def _enter(session: AsyncSession, batch: Batch, order: Order, state: str) -> None:
    if rules.leaves_picking(order.workflow_state, state):
        await _settle_items(session, order)
    order.workflow_state = state
    if state == rules.COMPLETED:
        order.delivered_at = utcnow()
    event = rules.STATE_EVENTS.get(state)
    if event is None:
        return
    metadata: dict[str, Any] = {
        "batch_id": batch.id,
        "shopper_id": batch.shopper_id,
        "workflow_state": state,
        "status": order_status(state),
    }
    if event == names.CHECKOUT:
        metadata["items"] = [item_payload(item) for item in order.items if not item.removed]
    await record_event(session, event, order=order, metadata=metadata)


async def _settle_items(session: AsyncSession, order: Order) -> None:
    """End of shopping (``items.md``): an item never touched counts as found in full, and a
    replacement the customer did not answer counts as approved (no answer is consent)."""
    for item in order.items:
        if item.removed:
            continue
        if item.shopper_status == "not_found":
            item.shopper_status = "found"
            item.delivered_count = item.count
            item.delivered_weight = item.weight
        if item.replacement_status == "PENDING":
            item.replacement_status = "APPROVED"
            await record_event(
                session,
                names.REPLACEMENT_DECISION,
                order=order,
                metadata={"item": item_payload(item), "decided_by": "default"},
            )
