"""Last-mile orders through the fulfillment API: slots, create, stage (Connect's "Create a last
mile delivery order" and "Stage a last mile delivery order").

A last-mile order is an ``orders`` row with service type ``last_mile`` and no lines (the
retailer packed it), plus a ``last_mile_orders`` row with what the shopper needs: who receives
it, how many items and bags, the bag label and scan codes. Get order, cancel, post-checkout and
the event machinery read the ``orders`` row like any other. Each change records its event last.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment import geo, rules, slots
from aftercart.fulfillment.lookup import find_order
from aftercart.fulfillment.orders import DEFAULT_LOCALE, order_to_change
from aftercart.fulfillment.users import TAKEN, active_user, insert_new
from aftercart.fulfillment.views import ServiceOptionOut
from aftercart.lastmile import rules as lm
from aftercart.lastmile.schemas import (
    DispatchOrderCreate,
    LastMileOrderCreate,
    LastMileSlotSearch,
    StageOrder,
)
from aftercart.models import LastMileOrder, Order, ServiceOption, Store


def raise_all(errors: list[AftercartError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)


def customer_errors(
    *, first_name: str | None, last_name: str | None, user_phone: str | None
) -> list[AftercartError]:
    """The dispatch LMD errors of the changelog (April 8, 2026) for the customer's fields; a
    field that is ``None`` is not being changed and not checked."""
    errors: list[AftercartError] = []
    if first_name is not None and lm.name_error(first_name):
        errors.append(InvalidParameter("Invalid first name", key="first_name"))
    if last_name is not None and lm.name_error(last_name):
        errors.append(InvalidParameter("Invalid last name", key="last_name"))
    if user_phone is not None and not lm.is_e164(user_phone):
        errors.append(InvalidParameter(lm.INVALID_PHONE, key="user_phone"))
    return errors


def alcohol_errors(alcoholic: bool) -> list[AftercartError]:
    """Aftercart's stores list ``alcohol: false``: none of them may deliver alcohol."""
    return [InvalidParameter(lm.NO_ALCOHOL, key="alcoholic")] if alcoholic else []


async def store_for(session: AsyncSession, location_code: str) -> Store:
    store = await session.get(Store, location_code)
    if store is None:
        raise InvalidParameter("Store not found", key="location_code")
    if not store.delivery:
        raise InvalidParameter(lm.STORE_CLOSED, key="location_code")
    return store


async def list_options(
    session: AsyncSession,
    *,
    user_id: str,
    body: LastMileSlotSearch,
    now: datetime,
    policy: slots.SlotPolicy,
) -> list[ServiceOptionOut]:
    """The store's last-mile windows; a packed order has no items to check."""
    return await slots.list_options(
        session,
        user_id=user_id,
        service_type=rules.LAST_MILE,
        location_code=body.location_code,
        items=[],
        now=now,
        policy=policy,
    )


def new_order(
    body: LastMileOrderCreate | DispatchOrderCreate,
    *,
    user_id: str,
    client_id: str,
    locale: str | None,
    slot: ServiceOption,
    now: datetime,
) -> Order:
    """The ``orders`` row of a new last-mile order, placed in ``slot``."""
    postal_code = geo.normalize_postal_code(body.address.postal_code)
    point = geo.zip_centroid(postal_code)
    customer: dict[str, Any] = {
        "first_name": rules.capitalize_name(body.first_name.strip()),
        "last_name": rules.capitalize_name(body.last_name.strip()),
        "phone_number": body.user_phone,
        "sms_opt_in": not body.customer_sms_opt_out,
    }
    return Order(
        order_id=body.order_id,
        user_id=user_id,
        client_id=client_id,
        service_type=rules.LAST_MILE,
        workflow_state=rules.BRAND_NEW,
        location_code=slot.location_code,
        service_option_id=slot.id,
        window_starts_at=slot.window_starts_at,
        window_ends_at=slot.window_ends_at,
        initial_tip_cents=body.initial_tip_cents,
        leave_unattended=body.leave_unattended,
        special_instructions=body.special_instructions,
        locale=body.locale or locale or DEFAULT_LOCALE,
        customer=customer,
        address=body.address.model_dump(exclude_none=True),
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        created_at=now,
        items=[],
    )


def new_details(
    order: Order, body: LastMileOrderCreate | DispatchOrderCreate, *, dispatch: bool
) -> LastMileOrder:
    return LastMileOrder(
        order_pk=order.id,
        dispatch=dispatch,
        first_name=order.customer["first_name"],
        last_name=order.customer["last_name"],
        user_phone=body.user_phone,
        email=getattr(body, "email", None),
        items_count=body.items_count,
        bags_count=body.bags_count,
        items_weight=body.items_weight,
        cart_total=body.cart_total,
        bag_label=body.bag_label,
        alcoholic=body.alcoholic,
        customer_sms_opt_out=body.customer_sms_opt_out,
        requested_starts_at=lm.aware(body.start_at) if body.start_at else None,
        requested_ends_at=lm.aware(body.end_at) if body.end_at else None,
        metadata_=getattr(body, "metadata", None),
    )


def event_metadata(order: Order, details: LastMileOrder) -> dict[str, Any]:
    """What every last-mile event carries besides the order's ids: the window served, the
    state, and the package the shopper collects."""
    return {
        "service_type": order.service_type,
        "workflow_state": order.workflow_state,
        "status": rules.order_status(order.workflow_state),
        "delivery_window": {
            "window_starts_at": order.window_starts_at.isoformat()
            if order.window_starts_at
            else None,
            "window_ends_at": order.window_ends_at.isoformat() if order.window_ends_at else None,
        },
        "items_count": details.items_count,
        "bags_count": details.bags_count,
        "bag_label": details.bag_label,
    }


async def create_order(
    session: AsyncSession,
    *,
    user_id: str,
    client_id: str,
    body: LastMileOrderCreate,
    locale: str | None,
    now: datetime,
) -> tuple[Order, LastMileOrder]:
    """Books the user's hold for a packed order; the order waits ``brand_new`` for staging."""
    user = await active_user(session, user_id)
    if await find_order(session, body.order_id, with_items=False) is not None:
        raise InvalidParameter(TAKEN, key="order_id")
    raise_all(
        customer_errors(
            first_name=body.first_name, last_name=body.last_name, user_phone=body.user_phone
        )
        + alcohol_errors(body.alcoholic)
    )
    await store_for(session, body.location_code)
    hold = await slots.users_hold(session, body.service_option_hold_id, user_id)
    slot = await slots.book(session, hold=hold, service_type=rules.LAST_MILE, now=now)
    if body.location_code != slot.location_code:
        raise InvalidParameter("does not match the store of the time slot", key="location_code")
    order = new_order(
        body, user_id=user.user_id, client_id=client_id, locale=locale, slot=slot, now=now
    )
    await insert_new(session, order, key="order_id")
    details = new_details(order, body, dispatch=False)
    session.add(details)
    await session.flush()
    await record_event(
        session, names.BRAND_NEW, order=order, metadata=event_metadata(order, details)
    )
    return order, details


async def details_of(session: AsyncSession, order: Order) -> LastMileOrder:
    details = await session.get(LastMileOrder, order.id)
    if order.service_type != rules.LAST_MILE or details is None:
        raise InvalidParameter(lm.NOT_LAST_MILE, key="order_id")
    return details


async def stage(
    session: AsyncSession, order: Order, details: LastMileOrder, body: StageOrder, now: datetime
) -> None:
    """The bags wait in the staging area: the order becomes ``staged_for_delivery`` (a shopper
    is dispatched; in the sandbox, a ``delivery_only`` batch) and the Staged callback says so."""
    lm.check_stageable(order.service_type, order.workflow_state)
    for field in ("items_count", "bags_count", "items_weight", "bag_label", "bag_scan_codes"):
        if field in body.model_fields_set and getattr(body, field) is not None:
            setattr(details, field, getattr(body, field))
    details.staged_at = now
    order.workflow_state = lm.STAGED_FOR_DELIVERY
    order.updated_at = now
    await session.flush()
    metadata = event_metadata(order, details) | {"bag_scan_codes": details.bag_scan_codes or []}
    await record_event(session, names.STAGED, order=order, metadata=metadata)


async def stage_users_order(
    session: AsyncSession, *, user_id: str, order_id: str, body: StageOrder, now: datetime
) -> tuple[Order, LastMileOrder]:
    _, order = await order_to_change(session, user_id=user_id, order_id=order_id)
    details = await details_of(session, order)
    await stage(session, order, details, body, now)
    return order, details
