"""The customer's curbside pickup calls (Connect's post-checkout pickup pages: Record customer
arrival, Schedule pickup, Get pickup instructions, Create or update a pickup delegate).

A user reaches only their own orders: another user's order answers like a missing one, with the
pages' ``404 Resource not found``.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.errors import NotFound
from aftercart.fulfillment.lookup import find_order, order_for_update
from aftercart.models import Batch, Order
from aftercart.post_checkout import pickup_rules as rules
from aftercart.post_checkout import runner
from aftercart.post_checkout import schemas as s


async def _own(
    session: AsyncSession, order_id: str, user_id: str | None, *, lock: bool = False
) -> Order:
    find = order_for_update if lock else find_order
    order = await find(session, order_id, with_items=False)
    if order is None or user_id is None or order.user_id != user_id:
        raise NotFound()
    return order


async def _lock_runner(session: AsyncSession, order: Order) -> Batch | None:
    """The order's runner batch, locked before the order itself: the sandbox locks a batch
    before its orders, so taking them the same way round cannot deadlock."""
    status = await runner.status_of(session, order)
    if status is None or status.runner_batch_id is None:
        return None
    batch: Batch | None = await session.scalar(
        select(Batch)
        .where(Batch.id == status.runner_batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return batch


async def user_arrived(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    as_delegate: bool,
    category: str,
) -> None:
    """Records that the customer (or their delegate) is at the store. A runner batch waiting
    for them moves to ``at_store`` (the runner starts out); without one, the arrival waits for
    the runner batch, which then starts at ``at_store``. Arriving again changes nothing."""
    order = await _own(session, order_id, user_id)
    rules.require_pickup_status(order.service_type)
    batch = await _lock_runner(session, order)
    order = await _own(session, order_id, user_id, lock=True)
    rules.require_staged(order.workflow_state)
    status = await runner.ensure_status(session, order, category=category)
    rules.check_arrival(as_delegate=as_delegate, has_delegate=status.delegate_name is not None)
    if batch is None:
        batch = await runner.runner_batch(session, status)
    await runner.record_arrival(session, order, status, as_delegate=as_delegate)
    if batch is not None and batch.workflow_state == runner.BRAND_NEW:
        await runner.enter(session, batch, order, status, runner.AT_STORE)
        batch.workflow_state = runner.AT_STORE
        await session.flush()


async def schedule_pickup(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    eta: datetime,
    category: str,
) -> None:
    """Records (or moves) the customer's ETA for a staged curbside order without a delegate."""
    order = await _own(session, order_id, user_id, lock=True)
    rules.require_pickup_status(order.service_type)
    rules.require_staged(order.workflow_state)
    status = await runner.ensure_status(session, order, category=category)
    rules.check_schedule(
        pickup_category=status.pickup_category, has_delegate=status.delegate_name is not None
    )
    rules.check_eta(eta, now=clock.now())
    status.scheduled_eta = eta
    await session.flush()


async def details(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    category: str,
    instructions: dict[str, str],
) -> s.PickupDetails:
    """The instruction of the order's pickup category (its pickup status's, else the
    retailer's), as the retailer configured it; none when it configured none for it."""
    order = await _own(session, order_id, user_id)
    rules.require_pickup_order(order.service_type)
    status = await runner.status_of(session, order)
    own_category = status.pickup_category if status is not None else category
    text = instructions.get(own_category)
    listed = [s.PickupInstruction(category=own_category, instruction=text)] if text else []
    return s.PickupDetails(pickup_instructions=listed)


async def set_delegate(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    name: str,
    phone_number: str,
    category: str,
) -> None:
    """Names (or renames) who picks the order up; the number is kept in E.164."""
    order = await _own(session, order_id, user_id, lock=True)
    rules.require_pickup_order(order.service_type)
    rules.require_not_ended(order.workflow_state)
    phone = rules.normalize_phone(phone_number)
    status = await runner.ensure_status(session, order, category=category)
    status.delegate_name = name
    status.delegate_phone_number = phone
    await session.flush()
