"""Fulfillment orders: create, read, update while ``brand_new``, cancel (``retailer_driven``).

Each change records one event in the same transaction (``events.outbox``), last in its unit of
work.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import (
    IncompatibleOrderStatus,
    InvalidParameter,
    NotFound,
    UserNotActive,
    UserNotFound,
)
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment import geo, items, rules, slots
from aftercart.fulfillment.lookup import find_order, order_for_update
from aftercart.fulfillment.schemas import DeliveryOrderCreate, OrderCreate, OrderUpdate, OrderUser
from aftercart.fulfillment.snapshot import OrderSnapshot, read_user_order
from aftercart.fulfillment.users import TAKEN, active_user, insert_new
from aftercart.models import Order, ServiceOption, User

DEFAULT_LOCALE = "en-US"


def window_metadata(order: Order) -> dict[str, Any]:
    return {
        "service_type": order.service_type,
        "delivery_window": {
            "window_starts_at": order.window_starts_at.isoformat()
            if order.window_starts_at
            else None,
            "window_ends_at": order.window_ends_at.isoformat() if order.window_ends_at else None,
        },
    }


def _customer(current: dict[str, Any], override: OrderUser | None) -> dict[str, Any]:
    merged = dict(current)
    if override is not None:
        merged.update(override.model_dump(mode="json", exclude_unset=True))
    return merged


def _check_phone(user: User, customer: dict[str, Any]) -> None:
    """Without a phone on the user, the order's ``user`` must bring one."""
    if not (customer.get("phone_number") or user.phone_number):
        raise InvalidParameter("can't be blank", key="user.phone_number")


def _place(order: Order, slot: ServiceOption) -> None:
    order.service_option_id = slot.id
    order.window_starts_at = slot.window_starts_at
    order.window_ends_at = slot.window_ends_at


async def create_order(
    session: AsyncSession,
    *,
    user_id: str,
    client_id: str,
    service_type: str,
    body: OrderCreate,
    locale: str | None,
    now: datetime,
) -> Order:
    """``locale`` is the request's ``Accept-Language`` choice, used when the body has none."""
    user = await active_user(session, user_id)
    if await find_order(session, body.order_id, with_items=False) is not None:
        raise InvalidParameter(TAKEN, key="order_id")
    hold = await slots.users_hold(session, body.service_option_hold_id, user_id)
    resolved = await items.resolve_items(session, body.items)
    items.check_lines(body.items, [found.product.id for found in resolved])
    items.check_units(service_type, body.items)
    customer = _customer({}, body.user)
    _check_phone(user, customer)
    slot = await slots.book(session, hold=hold, service_type=service_type, now=now)
    if body.location_code is not None and body.location_code != slot.location_code:
        raise InvalidParameter("does not match the store of the time slot", key="location_code")

    order = Order(
        order_id=body.order_id,
        user_id=user.user_id,
        client_id=client_id,
        service_type=service_type,
        workflow_state=rules.BRAND_NEW,
        location_code=slot.location_code,
        loyalty_number=body.loyalty_number,
        special_instructions=body.special_instructions,
        paid_with_ebt=body.paid_with_ebt,
        locale=body.locale or locale or user.locale or DEFAULT_LOCALE,
        customer=customer,
        created_at=now,
        items=[
            items.new_line(item, found) for item, found in zip(body.items, resolved, strict=True)
        ],
    )
    _place(order, slot)
    if isinstance(body, DeliveryOrderCreate):
        order.initial_tip_cents = body.initial_tip_cents
        order.leave_unattended = body.leave_unattended
        order.address = body.address.model_dump(exclude_none=True)
        point = geo.zip_centroid(geo.normalize_postal_code(body.address.postal_code))
        order.latitude, order.longitude = point if point else (None, None)
    await insert_new(session, order, key="order_id")
    await record_event(session, names.BRAND_NEW, order=order, metadata=window_metadata(order))
    return order


async def get_order(session: AsyncSession, *, user_id: str, order_id: str) -> OrderSnapshot:
    """The user's order, checked and read in one query."""
    found = await read_user_order(session, user_id=user_id, order_id=order_id)
    if not found.user_found:
        raise UserNotFound()
    if not found.user_active:
        raise UserNotActive()
    if found.order is None:
        raise NotFound()
    return found.order


async def order_to_change(
    session: AsyncSession, *, user_id: str, order_id: str
) -> tuple[User, Order]:
    """The active user and their order, locked for the change (another user's is a 404)."""
    user = await active_user(session, user_id)
    order = await order_for_update(session, order_id)
    if order is None or order.user_id != user.user_id:
        raise NotFound()
    return user, order


async def update_order(
    session: AsyncSession, *, user_id: str, order_id: str, body: OrderUpdate, now: datetime
) -> Order:
    """Only while ``brand_new``; a new hold moves the order to its slot."""
    user, order = await order_to_change(session, user_id=user_id, order_id=order_id)
    if order.workflow_state != rules.BRAND_NEW:
        raise IncompatibleOrderStatus()
    lines = items.lines_to_update(order.service_type, body.items)
    if lines is not None:
        await items.replace_lines(session, order, lines)
        items.check_units(order.service_type, lines)
    customer = _customer(order.customer or {}, body.user)
    _check_phone(user, customer)
    if body.service_option_hold_id is not None:
        hold = await slots.users_hold(session, body.service_option_hold_id, user_id)
        slot = await slots.book(
            session, hold=hold, service_type=order.service_type, now=now, order_pk=order.id
        )
        if slot.location_code != order.location_code:
            raise InvalidParameter("is for another store", key="service_option_hold_id")
        _place(order, slot)
    sent = body.model_fields_set
    if body.initial_tip_cents is not None:
        order.initial_tip_cents = body.initial_tip_cents
    if "special_instructions" in sent:
        order.special_instructions = body.special_instructions
    order.customer = customer
    order.updated_at = now
    await session.flush()
    await record_event(session, names.ORDER_UPDATED, order=order, metadata=window_metadata(order))
    return order


async def cancel_order(session: AsyncSession, *, user_id: str, order_id: str) -> Order:
    _, order = await order_to_change(session, user_id=user_id, order_id=order_id)
    if order.workflow_state not in rules.CANCELABLE_STATES:
        raise IncompatibleOrderStatus()
    order.workflow_state = rules.CANCELED
    order.cancellation_reason = rules.API_CANCELLATION.value
    await session.flush()
    await record_event(
        session,
        names.CANCELED,
        order=order,
        metadata={
            "status": rules.order_status(rules.CANCELED),
            "cancellation_reason": order.cancellation_reason,
        },
    )
    return order
