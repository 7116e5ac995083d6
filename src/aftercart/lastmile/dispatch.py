"""Dispatch last-mile orders: one call creates the order in a requested window (Connect's
"Create a dispatch last mile delivery order"), then update, stage and cancel by ``order_id``.

No Connect user is named: each customer becomes the Connect user ``lastmile:<user_phone>``,
made on first sight, so that Get order, post-checkout and callbacks work as for any order.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.tenancy import tenant_of
from aftercart.errors import AftercartError, IncompatibleOrderStatus, InvalidParameter, NotFound
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment import geo, rules, slots
from aftercart.fulfillment.lookup import find_order, order_for_update
from aftercart.fulfillment.stores import RADIUS_KM
from aftercart.fulfillment.users import TAKEN, insert_new
from aftercart.lastmile import rules as lm
from aftercart.lastmile import service
from aftercart.lastmile.schemas import DispatchOrderCreate, DispatchOrderUpdate, StageOrder
from aftercart.models import LastMileOrder, Order, ServiceOption, Store, User

USER_PREFIX = "lastmile:"


async def _customer_user(session: AsyncSession, body: DispatchOrderCreate) -> User:
    user_id = USER_PREFIX + body.user_phone
    user = await session.get(User, (tenant_of(session), user_id))
    if user is None:
        user = User(
            user_id=user_id,
            first_name=rules.capitalize_name(body.first_name.strip()),
            last_name=rules.capitalize_name(body.last_name.strip()),
            phone_number=body.user_phone,
            locale=body.locale,
            active=True,
        )
        await insert_new(session, user, key="user_phone")
    return user


async def _choose(
    session: AsyncSession,
    store: Store,
    *,
    user_id: str,
    start_at: datetime,
    end_at: datetime,
    fallback: bool,
    now: datetime,
    policy: slots.SlotPolicy,
    order_pk: int | None = None,
) -> tuple[ServiceOption, lm.Choice]:
    """The slot that serves the window (:func:`aftercart.lastmile.rules.choose_slot`), locked."""
    found = await slots.store_slots(session, store, rules.LAST_MILE, now=now, policy=policy)
    counts = await slots.remaining_by_slot(
        session, [slot.id for slot in found], user_id=user_id, now=now, exclude_order_pk=order_pk
    )
    candidates = [
        lm.Slot(
            slot.id,
            slot.window_starts_at,
            slot.window_ends_at,
            rules.remaining_capacity(
                capacity=slot.capacity, orders=counts[slot.id][0], holds=counts[slot.id][1]
            )
            > 0,
        )
        for slot in found
    ]
    zone = geo.zone_for_postal_code(store.postal_code)
    choice = lm.choose_slot(
        candidates, start_at=start_at, end_at=end_at, fallback=fallback, zone=zone
    )
    slot = await slots.lock_slot(session, choice.slot_id)
    assert slot is not None  # just listed
    return slot, choice


def _out_of_reach(store: Store, order: Order) -> bool:
    """Whether the customer lives beyond a last-mile shopper's reach of the store."""
    if order.latitude is None or order.longitude is None:
        return False
    km = geo.distance_km(store.latitude, store.longitude, order.latitude, order.longitude)
    return km > RADIUS_KM[rules.LAST_MILE]


async def create_order(
    session: AsyncSession,
    *,
    client_id: str,
    body: DispatchOrderCreate,
    locale: str | None,
    now: datetime,
    policy: slots.SlotPolicy,
) -> tuple[Order, LastMileOrder]:
    """Validates, then books the requested window (or the same-day fallback). A valid order
    that no shopper can carry (the address is beyond the store's reach) is created and canceled
    at once, ``unbatchable``, with the Canceled callback, as the page describes."""
    if await find_order(session, body.order_id, with_items=False) is not None:
        raise InvalidParameter(TAKEN, key="order_id")
    errors: list[AftercartError] = service.customer_errors(
        first_name=body.first_name, last_name=body.last_name, user_phone=body.user_phone
    )
    errors += service.alcohol_errors(body.alcoholic)
    service.raise_all(errors)
    lm.check_window(body.start_at, body.end_at)
    store = await service.store_for(session, body.location_code)
    user = await _customer_user(session, body)
    slot, choice = await _choose(
        session,
        store,
        user_id=user.user_id,
        start_at=body.start_at,
        end_at=body.end_at,
        fallback=body.fallback_to_soonest_sameday,
        now=now,
        policy=policy,
    )
    order = service.new_order(
        body, user_id=user.user_id, client_id=client_id, locale=locale, slot=slot, now=now
    )
    order.window_starts_at, order.window_ends_at = choice.starts_at, choice.ends_at
    await insert_new(session, order, key="order_id")
    details = service.new_details(order, body, dispatch=True)
    details.fell_back = choice.fell_back
    session.add(details)
    await session.flush()
    await record_event(
        session, names.BRAND_NEW, order=order, metadata=service.event_metadata(order, details)
    )
    if _out_of_reach(store, order):
        await _cancel(session, order, details, rules.CancellationReason.UNBATCHABLE)
    return order, details


async def dispatch_order(session: AsyncSession, order_id: str) -> tuple[Order, LastMileOrder]:
    """A dispatch order, locked; any other order is refused, a missing one is a 404."""
    order = await order_for_update(session, order_id)
    if order is None:
        raise NotFound()
    details = await session.get(LastMileOrder, order.id)
    if details is None or not details.dispatch:
        raise InvalidParameter(lm.NOT_DISPATCH, key="order_id")
    return order, details


async def update_order(
    session: AsyncSession,
    *,
    order_id: str,
    body: DispatchOrderUpdate,
    now: datetime,
    policy: slots.SlotPolicy,
) -> tuple[Order, LastMileOrder]:
    """Only while ``brand_new``. A new window must come whole (``start_at`` and ``end_at``)."""
    order, details = await dispatch_order(session, order_id)
    if order.workflow_state != rules.BRAND_NEW:
        raise IncompatibleOrderStatus()
    sent = body.model_fields_set
    service.raise_all(
        service.customer_errors(
            first_name=body.first_name, last_name=body.last_name, user_phone=body.user_phone
        )
    )
    if ("start_at" in sent) != ("end_at" in sent) or (
        "start_at" in sent and (body.start_at is None or body.end_at is None)
    ):
        missing = "end_at" if body.start_at is not None else "start_at"
        raise InvalidParameter("can't be blank", key=missing)
    if body.start_at is not None and body.end_at is not None:
        lm.check_window(body.start_at, body.end_at)
        store = await service.store_for(session, order.location_code)
        slot, choice = await _choose(
            session,
            store,
            user_id=order.user_id,
            start_at=body.start_at,
            end_at=body.end_at,
            fallback=body.fallback_to_soonest_sameday,
            now=now,
            policy=policy,
            order_pk=order.id,
        )
        order.service_option_id = slot.id
        order.window_starts_at, order.window_ends_at = choice.starts_at, choice.ends_at
        details.requested_starts_at = lm.aware(body.start_at)
        details.requested_ends_at = lm.aware(body.end_at)
        details.fell_back = choice.fell_back
    _apply(order, details, body)
    order.updated_at = now
    await session.flush()
    await record_event(
        session, names.ORDER_UPDATED, order=order, metadata=service.event_metadata(order, details)
    )
    return order, details


def _apply(order: Order, details: LastMileOrder, body: DispatchOrderUpdate) -> None:
    sent = body.model_fields_set
    customer = dict(order.customer or {})
    for field in ("first_name", "last_name"):
        value = getattr(body, field)
        if value is not None:
            setattr(details, field, rules.capitalize_name(value.strip()))
            customer[field] = getattr(details, field)
    if body.user_phone is not None:
        details.user_phone = customer["phone_number"] = body.user_phone
    order.customer = customer
    for field in ("items_count", "items_weight"):
        if getattr(body, field) is not None:
            setattr(details, field, getattr(body, field))
    for field in ("email", "bags_count", "cart_total", "bag_label", "metadata"):
        if field in sent:
            setattr(details, "metadata_" if field == "metadata" else field, getattr(body, field))
    if body.initial_tip_cents is not None:
        order.initial_tip_cents = body.initial_tip_cents
    if body.leave_unattended is not None:
        order.leave_unattended = body.leave_unattended
    if "special_instructions" in sent:
        order.special_instructions = body.special_instructions


async def stage_order(
    session: AsyncSession, *, order_id: str, body: StageOrder, now: datetime
) -> tuple[Order, LastMileOrder]:
    order, details = await dispatch_order(session, order_id)
    await service.stage(session, order, details, body, now)
    return order, details


async def cancel_order(session: AsyncSession, *, order_id: str) -> tuple[Order, LastMileOrder]:
    """Only while ``brand_new`` (Connect's "Cancel a dispatch last mile delivery order")."""
    order, details = await dispatch_order(session, order_id)
    if order.workflow_state != rules.BRAND_NEW:
        raise IncompatibleOrderStatus()
    await _cancel(session, order, details, rules.API_CANCELLATION)
    return order, details


async def _cancel(
    session: AsyncSession,
    order: Order,
    details: LastMileOrder,
    reason: rules.CancellationReason,
) -> None:
    order.workflow_state = rules.CANCELED
    order.cancellation_reason = reason.value
    await session.flush()
    metadata = service.event_metadata(order, details) | {"cancellation_reason": reason.value}
    await record_event(session, names.CANCELED, order=order, metadata=metadata)
