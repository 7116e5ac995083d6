"""The customer's view of their order after checkout: the order, handling, items, replacement
decisions, chat and the order's messages.

A user sees only their own orders; someone else's order is answered exactly like a missing one.
"""

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock, models
from aftercart.errors import Forbidden, IncompatibleOrderStatus, NotFound
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.fulfillment import geo
from aftercart.fulfillment import rules as order_rules
from aftercart.fulfillment.lookup import find_order, order_for_update
from aftercart.fulfillment.snapshot import Line, ProductCodes, read_order
from aftercart.post_checkout import lifecycle, rules, runner
from aftercart.post_checkout import schemas as s

ORDER_NOT_FOUND = "Order not found"
ITEM_NOT_FOUND = "Order item not found"
SHOPPER_INFORMATION_REMOVED = "Shopper information is not available for this order"
CHAT_EXPIRED = (
    "The chat has expired: messages can no longer be sent 24 hours after the order was "
    "delivered or canceled."
)


async def own_order(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    lock: bool = False,
    with_items: bool = True,
) -> models.Order:
    find = order_for_update if lock else find_order
    order = await find(session, order_id, with_items=with_items)
    if order is None or order.user_id != user_id:
        raise NotFound(ORDER_NOT_FOUND)
    return order


#: Built once: constructing the joins costs more than running them.
_HANDLING = (
    select(
        models.Order.order_id,
        models.Order.workflow_state,
        models.Order.service_type,
        models.Order.special_instructions,
        models.Order.address,
        models.Order.latitude,
        models.Order.longitude,
        models.Shopper.first_name.label("shopper_name"),
        models.Shopper.phone.label("shopper_phone"),
        models.Store.address_line_1.label("store_address_line_1"),
        models.Store.city.label("store_city"),
        models.Store.state.label("store_state"),
        models.Store.postal_code.label("store_postal_code"),
        models.Store.latitude.label("store_latitude"),
        models.Store.longitude.label("store_longitude"),
    )
    .join(models.Store, models.Store.location_code == models.Order.location_code)
    .outerjoin(models.Shopper, models.Shopper.id == models.Order.shopper_id)
    .where(
        models.Order.order_id == bindparam("order_id"),
        models.Order.user_id == bindparam("user_id"),
    )
)


async def get_order(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> s.PostCheckoutOrder:
    """The order's high-level facts: when it was created, its fulfillment type and workflow
    state as the "Get an order" page names them, and its delivery window."""
    order = await own_order(session, order_id=order_id, user_id=user_id, with_items=False)
    return s.PostCheckoutOrder(
        id=order.order_id,
        created_at=order.created_at,
        fulfillment_type=rules.fulfillment_type(order.service_type),
        workflow_state=rules.wire_workflow_state(
            service_type=order.service_type,
            workflow_state=order.workflow_state,
            pickup_view=await runner.customer_view(session, order),
        ),
        window_starts_at=order.window_starts_at,
        window_ends_at=order.window_ends_at,
    )


async def handling(
    session: AsyncSession, *, order_id: str, user_id: str | None, remove_shopper: bool = False
) -> s.OrderHandlingResponse:
    """The order with its shopper and, for pickup, its store, in one query. With the
    shopper information removed, the answer has no ``shopper``."""
    params = {"order_id": order_id, "user_id": user_id}
    row = (await session.execute(_HANDLING, params)).one_or_none()
    if row is None or user_id is None:
        raise NotFound(ORDER_NOT_FOUND)
    if row.service_type == "pickup":
        address: s.Address | None = s.Address(
            address_line_1=row.store_address_line_1,
            city=row.store_city,
            state=row.store_state,
            postal_code=row.store_postal_code,
        )
        coordinates: s.Coordinates | None = s.Coordinates(
            latitude=row.store_latitude, longitude=row.store_longitude
        )
    else:
        address, coordinates = _delivery_place(row.address, row.latitude, row.longitude)
    shopper = None
    if row.shopper_name is not None and not remove_shopper:
        phone = rules.mask_phone(row.shopper_phone) if row.shopper_phone else None
        shopper = s.HandlingShopper(name=row.shopper_name, phone_number=phone)
    return s.OrderHandlingResponse(
        order_id=row.order_id,
        status=order_rules.order_status(row.workflow_state),
        address=address,
        coordinates=coordinates,
        shopper=shopper,
        notes=row.special_instructions,
    )


def _delivery_place(
    given: dict[str, Any] | None, latitude: float | None, longitude: float | None
) -> tuple[s.Address | None, s.Coordinates | None]:
    """The order's address, and its own coordinates or else its ZIP code's centroid."""
    given = given or {}
    address = s.Address(**{k: v for k, v in given.items() if v}) if given else None
    if latitude is not None and longitude is not None:
        return address, s.Coordinates(latitude=latitude, longitude=longitude)
    postal_code = given.get("postal_code")
    centroid = geo.zip_centroid(postal_code) if postal_code else None
    if centroid is None:
        return address, None
    return address, s.Coordinates(latitude=centroid[0], longitude=centroid[1])


async def items(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> s.OrderItemsResponse:
    order = await read_order(session, order_id=order_id, user_id=user_id)
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return s.OrderItemsResponse(items=[_item_view(line) for line in order.lines])


def _product_code(product: ProductCodes) -> str:
    return product.upc or product.rrc or str(product.id)


def _item_view(item: Line) -> s.PostCheckoutOrderItem:
    quantity = rules.ordered_quantity(item.count)
    replacement = None
    if item.replacement_product is not None:
        replacement = s.Replacement(
            product_name=item.replacement_product.name,
            product_id=_product_code(item.replacement_product),
            quantity=rules.replacement_quantity(
                delivered_count=item.delivered_count,
                delivered_weight=item.delivered_weight,
                ordered=quantity,
            ),
        )
    return s.PostCheckoutOrderItem(
        id=item.line_num,
        product_name=item.product.name,
        quantity=quantity,
        status=rules.item_status(item.shopper_status),
        replacement=replacement,
        replacement_status=item.replacement_status,
    )


async def decide_replacement(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    line_num: str,
    decision: str,
) -> s.ReplacementResponse:
    """Applies the customer's decision; REJECTED refunds the item but keeps the replacement
    product, so the customer's view still shows what was turned down."""
    order = await own_order(session, order_id=order_id, user_id=user_id, lock=True)
    item = next((i for i in order.items if i.line_num == line_num and not i.removed), None)
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    outcome = rules.check_decision(
        current=item.replacement_status,
        requested=decision,
        picking=order.workflow_state in order_rules.PICKING_STATES,
    )
    if outcome is rules.Decision.APPLY:
        item.replacement_status = decision
        if decision == rules.REJECTED:
            item.shopper_status = "to_refund"
            item.delivered_count = 0
            item.delivered_weight = None
        await session.flush()
        await record_event(
            session, names.REPLACEMENT_DECISION, order=order, metadata={"item": item_payload(item)}
        )
    return s.ReplacementResponse(id=item.line_num, replacement_status=decision)


async def _chat(
    session: AsyncSession, order: models.Order, *, remove_shopper: bool
) -> tuple[list[models.ChatMessage], bool]:
    """The order's chat, oldest first, and whether it has expired (then it is empty)."""
    if remove_shopper:
        raise Forbidden(SHOPPER_INFORMATION_REMOVED, code=None)
    ended = await lifecycle.ended_at(session, order)
    if rules.chat_expired(ended_at=ended, now=clock.now()):
        return [], True
    rows = await session.scalars(
        select(models.ChatMessage)
        .where(models.ChatMessage.order_pk == order.id)
        .order_by(models.ChatMessage.id)
    )
    return list(rows), False


async def messages(
    session: AsyncSession, *, order_id: str, user_id: str | None, remove_shopper: bool = False
) -> s.ChatMessagesResponse:
    order = await own_order(session, order_id=order_id, user_id=user_id, with_items=False)
    rows, _ = await _chat(session, order, remove_shopper=remove_shopper)
    return s.ChatMessagesResponse(messages=[message_view(m) for m in rows])


async def order_messages(
    session: AsyncSession, *, order_id: str, user_id: str | None, remove_shopper: bool = False
) -> s.OrderMessagesResponse:
    """The chat (empty once expired) and the automated notifications of the order's events."""
    order = await own_order(session, order_id=order_id, user_id=user_id, with_items=False)
    rows, expired = await _chat(session, order, remove_shopper=remove_shopper)
    return s.OrderMessagesResponse(
        chat_messages=[order_chat_view(m) for m in rows],
        lifecycle_messages=await lifecycle.lifecycle_messages(session, order),
        metadata=s.OrderMessagesMetadata(is_expired=expired),
    )


async def send_message(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str | None,
    body: str,
    remove_shopper: bool = False,
) -> s.ChatMessage:
    order = await own_order(
        session, order_id=order_id, user_id=user_id, lock=True, with_items=False
    )
    if remove_shopper:
        raise Forbidden(SHOPPER_INFORMATION_REMOVED, code=None)
    return await add_message(session, order=order, sender="customer", body=body)


async def add_message(
    session: AsyncSession, *, order: models.Order, sender: str, body: str
) -> s.ChatMessage:
    """Appends a message to the order's chat and records its event.

    The caller holds the order's lock (:func:`order_for_update`), so messages of one order are
    written one at a time: ids follow the conversation, and ``created_at`` never goes back (it is
    held at the last message's time should the clock step backwards). An expired chat (24 hours
    after delivery or cancellation) takes no more messages, from either side.
    """
    ended = await lifecycle.ended_at(session, order)
    if rules.chat_expired(ended_at=ended, now=clock.now()):
        raise IncompatibleOrderStatus(CHAT_EXPIRED)
    last = await session.scalar(
        select(func.max(models.ChatMessage.created_at)).where(
            models.ChatMessage.order_pk == order.id
        )
    )
    now = clock.now()
    message = models.ChatMessage(
        order_pk=order.id, sender=sender, body=body, created_at=max(now, last) if last else now
    )
    session.add(message)
    await session.flush()
    view = message_view(message)
    await record_event(
        session,
        names.CHAT_MESSAGE,
        order=order,
        metadata={"topic_id": str(order.id), "message": view.model_dump(mode="json")},
    )
    return view


def message_view(message: models.ChatMessage) -> s.ChatMessage:
    return s.ChatMessage(
        id=str(message.id),
        sender=message.sender,
        body=message.body,
        created_at=message.created_at,
    )


def order_chat_view(message: models.ChatMessage) -> s.OrderChatMessage:
    sender = rules.CHAT_PARTIES[message.sender]
    recipient = next(party for party in rules.CHAT_PARTIES.values() if party != sender)
    return s.OrderChatMessage(
        id=message.id,
        order_id=message.order_pk,
        sender_type=sender,
        recipient_type=recipient,
        body=message.body,
        created_at=message.created_at,
    )
