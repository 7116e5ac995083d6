"""What one autopilot step does, through the sandbox's own services (never HTTP): take an order
into a batch, walk the batch, pick a line, wait for the customer's decisions, reply in the chat,
move along the trip, deliver. Each service writes the events it always writes.

A step runs inside a transaction that has claimed it (:mod:`aftercart.sandbox.autopilot`), at
:func:`aftercart.clock.now`. It reads what to do from the batch's state rather than from the
run's own record, so a developer who advances the batch by hand meanwhile is followed, not
fought.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.service import find_product
from aftercart.errors import AftercartError, IncompatibleOrderStatus
from aftercart.fulfillment.lookup import order_for_update
from aftercart.fulfillment.rules import BRAND_NEW, CANCELED, USERS_CHOICE
from aftercart.models import (
    Autopilot,
    AutopilotRun,
    Batch,
    ChatMessage,
    Order,
    OrderItem,
    Product,
    ShopperLocation,
)
from aftercart.post_checkout import tracking
from aftercart.post_checkout.rules import PENDING
from aftercart.post_checkout.service import add_message
from aftercart.sandbox import autopilot_rules as rules
from aftercart.sandbox import batches, items
from aftercart.sandbox.lookup import ShopperOrderRef
from aftercart.sandbox.read_rules import read_barcode
from aftercart.sandbox.schemas import BatchOrder

DELIVERY = "delivery"
#: Batch states a step moves on from with a plain advance.
WALKED = ("acknowledged", "checkout", "receipt_sanity_check")
PICKING = "picking"
VERIFYING = "verifying_replacements"
DELIVERING = "delivering"
COMPLETED = "completed"
#: A run's phase when its order was canceled under it, or its batch went where a step cannot
#: follow.
ENDED = "ended"


def mix_of(autopilot: Autopilot) -> rules.Mix:
    return rules.Mix(
        autopilot.mix_found,
        autopilot.mix_partly_found,
        autopilot.mix_replaced,
        autopilot.mix_refunded,
    )


def takeable(autopilot: Autopilot, *, until: datetime) -> Select[Order]:
    """The orders the autopilot may take, oldest first: its tenant's brand-new delivery orders
    in no batch, made since it was turned on (and by ``until``), that no autopilot took."""
    return (
        select(Order)
        .where(
            Order.tenant_id == autopilot.tenant_id,
            Order.service_type == DELIVERY,
            Order.workflow_state == BRAND_NEW,
            Order.batch_id.is_(None),
            Order.created_at >= autopilot.created_at,
            Order.created_at <= until,
            ~exists().where(AutopilotRun.order_pk == Order.id),
        )
        .order_by(Order.created_at, Order.id)
        .limit(1)
    )


async def take(session: AsyncSession, autopilot: Autopilot, *, now: datetime) -> bool:
    """The oldest order the autopilot may take goes into a batch of its own (``acknowledged``,
    with its events), and a run starts; ``False`` when there is none (the caller rolls back)."""
    order = await session.scalar(takeable(autopilot, until=now))
    if order is None:
        return False
    try:
        batch = await batches.create_batch(
            session,
            shopper_id=autopilot.shopper_id,
            orders=[BatchOrder(id=order.order_id, user_id=order.user_id)],
        )
    except AftercartError:
        # Batched (or canceled) by someone else since the look: not the autopilot's any more.
        return False
    session.add(
        AutopilotRun(
            tenant_id=autopilot.tenant_id,
            autopilot_id=autopilot.id,
            order_pk=order.id,
            batch_id=batch.id,
            phase=batch.workflow_state,
            item_index=0,
            step=0,
            next_step_at=now + timedelta(seconds=autopilot.step_seconds),
            created_at=now,
        )
    )
    autopilot.free_at = None
    await session.flush()
    return True


async def play(
    session: AsyncSession,
    autopilot: Autopilot,
    run: AutopilotRun,
    *,
    now: datetime,
    trip_seconds: float,
) -> None:
    """The run's next step. Locks the batch, then the order (the advance's order)."""
    batch = await session.scalar(
        select(Batch)
        .where(Batch.id == run.batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    order_id = await session.scalar(select(Order.order_id).where(Order.id == run.order_pk))
    order = await order_for_update(session, order_id) if order_id is not None else None
    if batch is None or order is None or order.workflow_state == CANCELED:
        finish(autopilot, run, now=now, phase=ENDED)
        return
    await _reply(session, autopilot, run, order, state=batch.workflow_state)
    step = timedelta(seconds=autopilot.step_seconds)
    run.next_step_at = now + step
    state = batch.workflow_state
    if state in WALKED:
        await _advance(session, batch)
    elif state == PICKING:
        if run.item_index < len(_lines(order)):
            await _pick_next(session, autopilot, run, order)
        else:
            await _advance(session, batch)
            run.waiting_since = now
    elif state == VERIFYING:
        await _wait(session, autopilot, run, batch, order, now=now)
    elif state == DELIVERING:
        started = await _trip_started(session, order)
        if started is None or rules.trip_over(
            now=now, started_at=started, trip_seconds=trip_seconds
        ):
            await _advance(session, batch)
        else:
            await tracking.move(session, order, now=now, trip_seconds=trip_seconds)
    if batch.workflow_state == COMPLETED:
        finish(autopilot, run, now=now, phase=COMPLETED)
    elif state not in (*WALKED, PICKING, VERIFYING, DELIVERING):
        finish(autopilot, run, now=now, phase=ENDED)
    else:
        run.phase = batch.workflow_state
    await session.flush()


def finish(autopilot: Autopilot, run: AutopilotRun, *, now: datetime, phase: str) -> None:
    """The run is over; the shopper takes the next order a step later, unless stopped."""
    run.phase = phase
    run.next_step_at = None
    run.finished_at = now
    if autopilot.stopped_at is None:
        autopilot.free_at = now + timedelta(seconds=autopilot.step_seconds)


async def _advance(session: AsyncSession, batch: Batch) -> None:
    await batches.advance_batch(session, batch_ref=str(batch.id))


def _lines(order: Order) -> list[OrderItem]:
    """The lines the customer ordered, in order (lines the shopper added are not picked)."""
    return [item for item in order.items if not item.removed and not item.added_by_shopper]


async def _pick_next(
    session: AsyncSession, autopilot: Autopilot, run: AutopilotRun, order: Order
) -> None:
    item = _lines(order)[run.item_index]
    run.item_index += 1
    choices = await _choices(session, item) if item.replacement_policy == USERS_CHOICE else []
    others = await session.scalar(select(func.count()).select_from(_others(item).subquery()))
    line = rules.Line(item.line_num, item.count, item.weight, item.replacement_policy, len(choices))
    planned = rules.pick(
        autopilot.seed, order.order_id, line, mix_of(autopilot), catalog_size=others or 0
    )
    body = await _update_body(session, item, planned, choices)
    target = ShopperOrderRef(shopper_id=autopilot.shopper_id, order_id=order.order_id)
    try:
        async with session.begin_nested():
            await items.update_item(session, target=target, line_ref=item.line_num, body=body)
    except AftercartError:
        # The line changed under the plan (its policy, its choices): it is refunded instead.
        refund = {"status": "to_refund"}
        await items.update_item(session, target=target, line_ref=item.line_num, body=refund)


def _others(item: OrderItem) -> Select[Product]:
    """The catalog's products a shopper may name instead of the line's, in id order."""
    return (
        select(Product)
        .where(
            Product.id != item.product_id, or_(Product.upc.is_not(None), Product.rrc.is_not(None))
        )
        .order_by(Product.id)
    )


async def _choices(session: AsyncSession, item: OrderItem) -> list[Product]:
    """The customer's replacement choices that name a product of the catalog, in their order."""
    found: list[Product] = []
    for entry in item.replacement_items:
        product = await find_product(session, upc=entry.get("upc"), rrc=entry.get("rrc"))
        if product is not None and product.id != item.product_id and product not in found:
            found.append(product)
    return found


async def _update_body(
    session: AsyncSession, item: OrderItem, planned: rules.Pick, choices: list[Product]
) -> dict[str, Any]:
    """The body of "Update an order item as a shopper" that plays ``planned``; found and
    replaced items are scanned when their product's UPC is a barcode."""
    body: dict[str, Any] = {"status": planned.shopper_status}
    scanned = item.product
    if planned.outcome is rules.Outcome.REFUNDED:
        return body
    if planned.outcome is rules.Outcome.PARTLY_FOUND:
        if planned.delivered_count is not None:
            body["delivered_count"] = planned.delivered_count
        if planned.delivered_weight is not None:
            body["delivered_weight"] = str(planned.delivered_weight)
    if planned.outcome is rules.Outcome.REPLACED:
        assert planned.replacement is not None
        if choices:
            replacement = choices[planned.replacement]
        else:
            replacement = (
                await session.scalars(_others(item).offset(planned.replacement).limit(1))
            ).one()
        body["replacement_item"] = (
            {"upc": replacement.upc} if replacement.upc else {"rrc": replacement.rrc}
        )
        scanned = replacement
    scan = read_barcode(scanned.upc) if scanned.upc else None
    if scan is not None:
        body["scans"] = [
            {"scanned_string": scan.scanned_string, "scanned_string_type": scan.scanned_string_type}
        ]
    return body


async def _wait(
    session: AsyncSession,
    autopilot: Autopilot,
    run: AutopilotRun,
    batch: Batch,
    order: Order,
    *,
    now: datetime,
) -> None:
    """Waits for the customer's replacement decisions: checkout once none is pending or the
    timeout has passed (the advance then counts the unanswered ones as approved)."""
    since = run.waiting_since or now
    run.waiting_since = since
    timeout = autopilot.decision_timeout_seconds
    pending = sum(
        1 for item in order.items if not item.removed and item.replacement_status == PENDING
    )
    if rules.wait_over(now=now, waiting_since=since, timeout=timeout, pending=pending):
        await _advance(session, batch)
        return
    run.next_step_at = rules.next_wait_check(
        now=now, waiting_since=since, timeout=timeout, step=autopilot.step_seconds
    )


async def _trip_started(session: AsyncSession, order: Order) -> datetime | None:
    """When the shopper left the store: the trip's first position."""
    first: datetime | None = await session.scalar(
        select(ShopperLocation.recorded_at)
        .where(ShopperLocation.order_pk == order.id)
        .order_by(ShopperLocation.seq)
        .limit(1)
    )
    return first


async def _reply(
    session: AsyncSession, autopilot: Autopilot, run: AutopilotRun, order: Order, *, state: str
) -> None:
    """One reply to each customer message not yet answered, oldest first."""
    messages = (
        await session.execute(
            select(ChatMessage.id, ChatMessage.sender)
            .where(ChatMessage.order_pk == order.id)
            .order_by(ChatMessage.id)
        )
    ).all()
    ordinal = 0
    for message_id, sender in messages:
        if sender != "customer":
            continue
        ordinal += 1
        if run.replied_message_id is not None and message_id <= run.replied_message_id:
            continue
        text = rules.chat_reply(autopilot.seed, order.order_id, ordinal, state)
        run.replied_message_id = message_id
        try:
            await add_message(session, order=order, sender="shopper", body=text)
        except IncompatibleOrderStatus:
            return  # the chat has expired: nothing more can be said
