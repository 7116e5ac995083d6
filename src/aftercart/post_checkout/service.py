"""The customer's view of their order after checkout: handling, items, replacement decisions, chat.

A user sees only their own orders; someone else's order is answered exactly like a missing one.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import models
from aftercart.db.types import utcnow
from aftercart.errors import NotFound
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.fulfillment import geo
from aftercart.fulfillment import rules as order_rules
from aftercart.fulfillment.lookup import find_order, order_for_update
from aftercart.post_checkout import rules
from aftercart.post_checkout import schemas as s

ORDER_NOT_FOUND = "Order not found"
ITEM_NOT_FOUND = "Order item not found"


async def _own_order(
    session: AsyncSession, *, order_id: str, user_id: str | None, lock: bool = False
) -> models.Order:
    order = await (order_for_update if lock else find_order)(session, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(ORDER_NOT_FOUND)
    return order


async def handling(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> s.OrderHandlingResponse:
    order = await _own_order(session, order_id=order_id, user_id=user_id)
    shopper = await session.get(models.Shopper, order.shopper_id) if order.shopper_id else None
    if order.service_type == "pickup":
        address, coordinates = _store_place(
            await session.get_one(models.Store, order.location_code)
        )
    else:
        address, coordinates = _delivery_place(order)
    return s.OrderHandlingResponse(
        order_id=order.order_id,
        status=order_rules.order_status(order.workflow_state),
        address=address,
        coordinates=coordinates,
        shopper=_shopper(shopper),
        notes=order.special_instructions,
    )


def _store_place(store: models.Store) -> tuple[s.Address | None, s.Coordinates | None]:
    address = s.Address(
        address_line_1=store.address_line_1,
        city=store.city,
        state=store.state,
        postal_code=store.postal_code,
    )
    return address, s.Coordinates(latitude=store.latitude, longitude=store.longitude)


def _delivery_place(order: models.Order) -> tuple[s.Address | None, s.Coordinates | None]:
    """The order's address, and its own coordinates or else its ZIP code's centroid."""
    given: dict[str, Any] = order.address or {}
    address = s.Address(**{k: v for k, v in given.items() if v}) if given else None
    if order.latitude is not None and order.longitude is not None:
        return address, s.Coordinates(latitude=order.latitude, longitude=order.longitude)
    postal_code = given.get("postal_code")
    centroid = geo.zip_centroid(postal_code) if postal_code else None
    if centroid is None:
        return address, None
    return address, s.Coordinates(latitude=centroid[0], longitude=centroid[1])


def _shopper(shopper: models.Shopper | None) -> s.HandlingShopper | None:
    if shopper is None:
        return None
    phone = rules.mask_phone(shopper.phone) if shopper.phone else None
    return s.HandlingShopper(name=shopper.first_name, phone_number=phone)


async def items(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> s.OrderItemsResponse:
    order = await _own_order(session, order_id=order_id, user_id=user_id)
    return s.OrderItemsResponse(items=[_item_view(i) for i in order.items if not i.removed])


def _product_code(product: models.Product) -> str:
    return product.upc or product.rrc or str(product.id)


def _item_view(item: models.OrderItem) -> s.PostCheckoutOrderItem:
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
    order = await _own_order(session, order_id=order_id, user_id=user_id, lock=True)
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


async def messages(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> s.ChatMessagesResponse:
    order = await _own_order(session, order_id=order_id, user_id=user_id)
    rows = await session.scalars(
        select(models.ChatMessage)
        .where(models.ChatMessage.order_pk == order.id)
        .order_by(models.ChatMessage.id)
    )
    return s.ChatMessagesResponse(messages=[message_view(m) for m in rows])


async def send_message(
    session: AsyncSession, *, order_id: str, user_id: str | None, body: str
) -> s.ChatMessage:
    order = await _own_order(session, order_id=order_id, user_id=user_id, lock=True)
    return await add_message(session, order=order, sender="customer", body=body)


async def add_message(
    session: AsyncSession, *, order: models.Order, sender: str, body: str
) -> s.ChatMessage:
    """Appends a message to the order's chat and records its event.

    The caller holds the order's lock (:func:`order_for_update`), so messages of one order are
    written one at a time: ids follow the conversation, and ``created_at`` never goes back (it is
    held at the last message's time should the clock step backwards).
    """
    last = await session.scalar(
        select(func.max(models.ChatMessage.created_at)).where(
            models.ChatMessage.order_pk == order.id
        )
    )
    now = utcnow()
    message = models.ChatMessage(
        order_pk=order.id, sender=sender, body=body, created_at=max(now, last) if last else now
    )
    session.add(message)
    await session.flush()
    view = message_view(message)
    await record_event(
        session, names.CHAT_MESSAGE, order=order, metadata={"message": view.model_dump(mode="json")}
    )
    return view


def message_view(message: models.ChatMessage) -> s.ChatMessage:
    return s.ChatMessage(
        id=str(message.id),
        sender=message.sender,
        body=message.body,
        created_at=message.created_at,
    )
