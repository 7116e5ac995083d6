"""The Connect fulfillment API over HTTP (reference §4): users, stores, time slots, orders."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Response

from aftercart.auth.deps import FulfillmentClient
from aftercart.config import Settings, SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.db.types import utcnow
from aftercart.fulfillment import orders, rules, slots, stores, users
from aftercart.fulfillment.schemas import (
    DeliveryOrderCreate,
    OrderCreate,
    OrderUpdate,
    PickupOrderCreate,
    SlotSearch,
    StoreSearch,
    UserCreate,
    UserUpdate,
)
from aftercart.fulfillment.snapshot import snapshot_of
from aftercart.fulfillment.views import (
    HoldEnvelope,
    OrderOut,
    ServiceOptionsOut,
    StoresOut,
    UserOut,
    hold_out,
    order_out,
    store_out,
    user_out,
)
from aftercart.wire import json_response

router = APIRouter(prefix="/v2/fulfillment", tags=["fulfillment"], route_class=TransactionalRoute)

#: Reserve and cancel take no body, but an empty one, ``""`` or ``{}`` is accepted (issue 2 §4).
NoBody = Annotated[Any, Body()]
AcceptLanguage = Annotated[str | None, Header()]


@router.post("/users")
async def create_user(body: UserCreate, session: SessionDep, _: FulfillmentClient) -> UserOut:
    return user_out(await users.create_user(session, body=body))


@router.get("/users/{user_id}")
async def get_user(user_id: str, session: SessionDep, _: FulfillmentClient) -> UserOut:
    return user_out(await users.active_user(session, user_id))


@router.put("/users/{user_id}")
async def update_user(
    user_id: str, body: UserUpdate, session: SessionDep, _: FulfillmentClient
) -> UserOut:
    """Works on an inactive user too: ``{"active": true}`` activates them again."""
    return user_out(await users.update_user(session, user_id=user_id, body=body))


async def _stores(session: SessionDep, body: StoreSearch, service_type: str) -> StoresOut:
    found = await stores.find_stores(session, find_by=body.find_by, service_type=service_type)
    return StoresOut(stores=[store_out(store, km) for store, km in found])


@router.post("/stores/delivery")
async def find_delivery_stores(
    body: StoreSearch, session: SessionDep, _: FulfillmentClient
) -> StoresOut:
    """Stores that deliver to the place, nearest first (within 16 km)."""
    return await _stores(session, body, "delivery")


@router.post("/stores/pickup")
async def find_pickup_stores(
    body: StoreSearch, session: SessionDep, _: FulfillmentClient
) -> StoresOut:
    """Stores offering pickup near the place, nearest first (within 80 km)."""
    return await _stores(session, body, "pickup")


async def _options(
    session: SessionDep, settings: Settings, user_id: str, body: SlotSearch, service_type: str
) -> ServiceOptionsOut:
    options = await slots.list_options(
        session,
        user_id=user_id,
        service_type=service_type,
        location_code=body.location_code,
        items=body.items,
        now=utcnow(),
        policy=slots.SlotPolicy(days=settings.slot_days, capacity=settings.slot_capacity),
    )
    return ServiceOptionsOut(service_options=options)


@router.post("/users/{user_id}/service_options/cart/delivery")
async def list_delivery_options(
    user_id: str, body: SlotSearch, session: SessionDep, settings: SettingsDep, _: FulfillmentClient
) -> ServiceOptionsOut:
    return await _options(session, settings, user_id, body, "delivery")


@router.post("/users/{user_id}/service_options/cart/pickup")
async def list_pickup_options(
    user_id: str, body: SlotSearch, session: SessionDep, settings: SettingsDep, _: FulfillmentClient
) -> ServiceOptionsOut:
    return await _options(session, settings, user_id, body, "pickup")


@router.post("/users/{user_id}/service_options/{service_option_id}/reserve")
async def reserve_service_option(
    user_id: str,
    service_option_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    settings: SettingsDep,
    _: FulfillmentClient,
    body: NoBody = None,
) -> HoldEnvelope:
    hold, option = await slots.reserve(
        session,
        user_id=user_id,
        service_option_id=service_option_id,
        now=utcnow(),
        ttl=timedelta(seconds=settings.hold_ttl_seconds),
    )
    return hold_out(hold, option)


async def _create_order(
    session: SessionDep,
    client: FulfillmentClient,
    user_id: str,
    body: OrderCreate,
    service_type: str,
    accept_language: str | None,
) -> OrderOut:
    order = await orders.create_order(
        session,
        user_id=user_id,
        client_id=client.client_id,
        service_type=service_type,
        body=body,
        locale=rules.locale_from_accept_language(accept_language),
        now=utcnow(),
    )
    return order_out(snapshot_of(order))


@router.post("/users/{user_id}/orders/delivery")
async def create_delivery_order(
    user_id: str,
    body: DeliveryOrderCreate,
    session: SessionDep,
    client: FulfillmentClient,
    accept_language: AcceptLanguage = None,
) -> OrderOut:
    return await _create_order(session, client, user_id, body, "delivery", accept_language)


@router.post("/users/{user_id}/orders/pickup")
async def create_pickup_order(
    user_id: str,
    body: PickupOrderCreate,
    session: SessionDep,
    client: FulfillmentClient,
    accept_language: AcceptLanguage = None,
) -> OrderOut:
    return await _create_order(session, client, user_id, body, "pickup", accept_language)


@router.get("/users/{user_id}/orders/{order_id}", response_model=OrderOut)
async def get_order(
    user_id: str, order_id: str, session: SessionDep, _: FulfillmentClient
) -> Response:
    order = await orders.get_order(session, user_id=user_id, order_id=order_id)
    return json_response(order_out(order))


@router.put("/users/{user_id}/orders/{order_id}")
async def update_order(
    user_id: str, order_id: str, body: OrderUpdate, session: SessionDep, _: FulfillmentClient
) -> OrderOut:
    order = await orders.update_order(
        session, user_id=user_id, order_id=order_id, body=body, now=utcnow()
    )
    return order_out(snapshot_of(order))


@router.post("/users/{user_id}/orders/{order_id}/cancel")
async def cancel_order(
    user_id: str,
    order_id: str,
    session: SessionDep,
    _: FulfillmentClient,
    body: NoBody = None,
) -> OrderOut:
    canceled = await orders.cancel_order(session, user_id=user_id, order_id=order_id)
    return order_out(snapshot_of(canceled))
