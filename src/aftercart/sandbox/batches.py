"""Sandbox batches: a shopper takes orders and moves them through the workflow.

Locks are always taken batch first, then its orders in ``order_id`` order, and all of them before
the first event is written (writing an event takes the event-ordering lock), so two requests on
overlapping orders wait for each other instead of deadlocking.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.errors import AftercartError, InvalidParameter, NotFound
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.fulfillment.rules import BRAND_NEW, CANCELED, LAST_MILE, order_status
from aftercart.lastmile import sandbox as lastmile_sandbox
from aftercart.models import Batch, Order, PickupStatus, Shopper
from aftercart.post_checkout import runner, tracking
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
    pickup_category: str = "curbside",
) -> Batch:
    """Assigns brand-new orders to a shopper and walks them to ``acknowledged`` (or on to the
    requested ``workflow_state``), writing each step's events. A ``runner_customer`` batch
    takes staged pickup orders instead (:func:`_create_runner_batch`)."""
    if not 0 < shopper_id < MAX_ID or await session.get(Shopper, shopper_id) is None:
        raise InvalidParameter("Shopper not found", key="shopper_id")
    if not orders:
        raise InvalidParameter("can't be blank", key="orders")
    if batch_type == rules.RUNNER:
        return await _create_runner_batch(
            session,
            shopper_id=shopper_id,
            orders=orders,
            workflow_state=workflow_state,
            internal=internal,
        )
    locked = await _lock_batchable(session, orders, internal=internal)
    batch_type = _batch_type(batch_type, locked)
    steps = rules.initial_steps(batch_type, workflow_state)

    batch = Batch(shopper_id=shopper_id, batch_type=batch_type, workflow_state=BRAND_NEW)
    session.add(batch)
    await session.flush()
    for order in locked:
        order.batch_id = batch.id
        order.shopper_id = shopper_id
    await _walk(session, batch, locked, steps, pickup_category=pickup_category)
    return batch


async def advance_batch(
    session: AsyncSession,
    *,
    batch_ref: str,
    body: dict[str, Any] | None = None,
    pickup_category: str = "curbside",
) -> Batch:
    """One step forward, every step up to ``workflow_state``, or one of the batch's signals
    (which leave it where it is), each with its events."""
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
    if batch.batch_type == rules.RUNNER:
        return await _advance_runner_batch(session, batch, target)
    signal = rules.signal_named(batch.batch_type, target)
    if signal is not None:
        rules.check_signal(batch.workflow_state, signal, batch.batch_type)
    steps = [] if signal else rules.steps_to(batch.batch_type, batch.workflow_state, target)
    order_ids = await session.scalars(
        select(Order.order_id).where(Order.batch_id == batch.id).order_by(Order.order_id)
    )
    orders = []
    for order_id in order_ids.all():
        order = await find_locked_order(session, order_id, internal=False)
        if order is not None:
            orders.append(order)
    if signal is not None:
        event = rules.DELIVERY_SIGNAL_EVENTS[signal]
        for order in orders:
            if order.workflow_state != CANCELED:
                await _record(session, order, event, state_change(batch, batch.workflow_state))
        return batch
    await _walk(session, batch, orders, steps, pickup_category=pickup_category)
    return batch


async def _create_runner_batch(
    session: AsyncSession,
    *,
    shopper_id: int,
    orders: Sequence[BatchOrder],
    workflow_state: str | None,
    internal: bool,
) -> Batch:
    """A runner takes staged pickup orders to their customers. The batch starts ``brand_new``
    (Connect's runner table), or ``at_store`` when every customer has already arrived
    (``user_arrived`` came first), or walks on to the requested ``workflow_state``."""
    locked = await _lock_runnable(session, orders, internal=internal)
    steps = rules.initial_steps(rules.RUNNER, workflow_state)
    batch = Batch(shopper_id=shopper_id, batch_type=rules.RUNNER, workflow_state=BRAND_NEW)
    session.add(batch)
    await session.flush()
    for _, status in locked:
        status.runner_batch_id = batch.id
    if not steps and all(status.arrived_at is not None for _, status in locked):
        steps = [rules.AT_STORE]
    await _walk_runner(session, batch, locked, steps)
    return batch


async def _advance_runner_batch(session: AsyncSession, batch: Batch, target: str | None) -> Batch:
    """One step, every step to ``target``, or one of the runner's signals (which leave the
    batch where it is, ``unable_to_find_customer`` aside)."""
    signal = rules.signal_named(rules.RUNNER, target)
    if signal is not None:
        rules.check_signal(batch.workflow_state, signal)
    steps = [] if signal else rules.steps_to(rules.RUNNER, batch.workflow_state, target)
    order_ids = await session.scalars(
        select(Order.order_id)
        .join(PickupStatus, PickupStatus.order_pk == Order.id)
        .where(PickupStatus.runner_batch_id == batch.id)
        .order_by(Order.order_id)
    )
    locked = []
    for order_id in order_ids.all():
        order = await find_locked_order(session, order_id, internal=False, with_items=False)
        status = await runner.status_of(session, order) if order is not None else None
        if order is not None and status is not None:
            locked.append((order, status))
    if signal is not None:
        for order, status in locked:
            if order.workflow_state != CANCELED:
                await runner.signal(session, batch, order, status, signal)
        await session.flush()
        return batch
    await _walk_runner(session, batch, locked, steps)
    return batch


async def _walk_runner(
    session: AsyncSession,
    batch: Batch,
    handoffs: Sequence[tuple[Order, PickupStatus]],
    steps: Sequence[str],
) -> None:
    for step in steps:
        for order, status in handoffs:
            if order.workflow_state != CANCELED:
                await runner.enter(session, batch, order, status, step)
        batch.workflow_state = step
    await session.flush()


async def _lock_runnable(
    session: AsyncSession, refs: Sequence[BatchOrder], *, internal: bool
) -> list[tuple[Order, PickupStatus]]:
    """The orders a runner can take, locked in a stable order: pickup orders whose bags are
    staged and that no runner batch has yet; every other one is reported."""
    found: dict[int, tuple[Order, PickupStatus]] = {}
    errors: list[AftercartError] = []
    for index in sorted(range(len(refs)), key=lambda i: refs[i].id):
        ref = refs[index]
        order = await find_locked_order(session, ref.id, internal=internal, with_items=False)
        if order is None or (ref.user_id is not None and ref.user_id != order.user_id):
            errors.append(InvalidParameter("Order not found", key=f"orders[{index}]"))
            continue
        status = await runner.status_of(session, order)
        taken = any(order is pair[0] for pair in found.values())
        if (
            taken
            or status is None
            or order.workflow_state != rules.STAGED
            or status.runner_batch_id is not None
        ):
            errors.append(InvalidParameter(UNBATCHABLE, key=f"orders[{index}]"))
        else:
            found[index] = (order, status)
    rules.raise_all(sorted(errors, key=lambda error: error.key or ""))
    return [found[index] for index in sorted(found)]


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
    """Only a brand-new order outside any batch (so never a canceled one); a last-mile order
    only once the retailer has staged it."""
    if order.service_type == LAST_MILE:
        return lastmile_sandbox.batchable(order)
    return order.workflow_state == BRAND_NEW and order.batch_id is None


def _batch_type(requested: str | None, orders: Sequence[Order]) -> str:
    """The requested type, else the orders' service type; every order must be of that type."""
    service_type = orders[0].service_type
    batch_type = requested or rules.SERVICE_BATCH_TYPES.get(service_type, service_type)
    for index, order in enumerate(orders):
        if order.service_type != rules.BATCH_SERVICE_TYPES.get(batch_type, batch_type):
            raise InvalidParameter(
                f"{batch_type} doesn't match the service type of orders[{index}] "
                f"({order.service_type})",
                key="batch_type",
            )
    if batch_type not in rules.WORKFLOWS:
        raise InvalidParameter("is not included in the list", key="batch_type")
    return batch_type


async def _walk(
    session: AsyncSession,
    batch: Batch,
    orders: Sequence[Order],
    steps: Sequence[str],
    *,
    pickup_category: str,
) -> None:
    for step in steps:
        for order in orders:
            if order.workflow_state != CANCELED:
                if step == rules.STAGED and order.service_type == "pickup":
                    await runner.mark_ready(session, order, category=pickup_category)
                await _enter(session, batch, order, step)
        batch.workflow_state = step
    await session.flush()


async def _enter(session: AsyncSession, batch: Batch, order: Order, state: str) -> None:
    """Moves the order into ``state``. The shopper's trip (Order location callbacks) starts at
    the store as the order starts delivering and ends at the customer's door as it leaves
    delivering; a timer moves the shopper in between (``post_checkout.tasks``)."""
    if rules.leaves_picking(order.workflow_state, state):
        await _settle_items(session, order)
    if order.workflow_state == tracking.DELIVERING and state != tracking.DELIVERING:
        await tracking.finish_trip(session, order)
    order.workflow_state = state
    if state == rules.COMPLETED:
        order.delivered_at = clock.now()
    event = rules.STATE_EVENTS.get(state)
    if event is None:
        return
    metadata = state_change(batch, state)
    if event == names.CHECKOUT:
        metadata["items"] = [item_payload(item) for item in order.items if not item.removed]
    await _record(session, order, event, metadata)
    if state == tracking.DELIVERING:
        await tracking.start_trip(session, order)


def state_change(batch: Batch, state: str) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "shopper_id": batch.shopper_id,
        "workflow_state": state,
        "status": order_status(state),
    }


async def _record(
    session: AsyncSession, order: Order, event: str, metadata: dict[str, Any]
) -> None:
    """Writes ``event``; a last-mile order's goes with its package and companion callbacks."""
    if order.service_type == LAST_MILE:
        await lastmile_sandbox.record(session, order, event, metadata)
    else:
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
