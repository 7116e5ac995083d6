"""The Connect fulfillment API over HTTP: users, stores, time slots, orders, replacement
selections and tips."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from aftercart import clock
from aftercart.auth.deps import FulfillmentClient, OrderEditor
from aftercart.bodies import NoBody
from aftercart.config import Settings, SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.fulfillment import (
    addresses,
    orders,
    replacements,
    rules,
    slots,
    stores,
    tips,
    users,
)
from aftercart.fulfillment.order_links import OrderLinks, OrderLinksDep
from aftercart.fulfillment.schemas import (
    AddressCreate,
    DeliveryOrderCreate,
    OrderCreate,
    OrderUpdate,
    PickupOrderCreate,
    ReplacementSelections,
    SlotSearch,
    StoreSearch,
    TipUpdate,
    UserCreate,
    UserUpdate,
)
from aftercart.fulfillment.snapshot import snapshot_of
from aftercart.fulfillment.views import (
    AddressOut,
    HoldEnvelope,
    OrderOut,
    ServiceOptionsOut,
    StoresOut,
    UserOut,
    address_out,
    hold_out,
    order_out,
    store_out,
    user_out,
)
from aftercart.models import Order
from aftercart.wire import json_response

router = APIRouter(prefix="/v2/fulfillment", tags=["fulfillment"], route_class=TransactionalRoute)

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


@router.post("/users/{user_id}/addresses")
async def create_user_address(
    user_id: str, body: AddressCreate, session: SessionDep, _: FulfillmentClient
) -> AddressOut:
    """Validates and keeps the address, creating the user first when new (``first_name`` is
    then needed); ``long_distance_delivery`` when no delivery store is within 30 minutes."""
    return address_out(await addresses.add_address(session, user_id=user_id, body=body))


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
        now=clock.now(),
        policy=slots.SlotPolicy(days=settings.slot_days, capacity=settings.slot_capacity),
        eta_kinds=rules.eta_kinds(
            service_type,
            with_eta=body.with_eta_options,
            with_priority_eta=body.with_priority_eta_options,
        ),
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
        now=clock.now(),
        ttl=timedelta(seconds=settings.hold_ttl_seconds),
    )
    return hold_out(hold, option)


async def _create_order(
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
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
        now=clock.now(),
    )
    return _order_out(order, links)


def _order_out(order: Order, links: OrderLinks) -> OrderOut:
    return order_out(snapshot_of(order), order_url=links.url(order.tenant_id, order.order_id))


@router.post("/users/{user_id}/orders/delivery")
async def create_delivery_order(
    user_id: str,
    body: DeliveryOrderCreate,
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
    accept_language: AcceptLanguage = None,
) -> OrderOut:
    return await _create_order(session, client, links, user_id, body, "delivery", accept_language)


@router.post("/users/{user_id}/orders/pickup")
async def create_pickup_order(
    user_id: str,
    body: PickupOrderCreate,
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
    accept_language: AcceptLanguage = None,
) -> OrderOut:
    return await _create_order(session, client, links, user_id, body, "pickup", accept_language)


@router.get("/users/{user_id}/orders/{order_id}", response_model=OrderOut)
async def get_order(
    user_id: str,
    order_id: str,
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
) -> Response:
    order = await orders.get_order(session, user_id=user_id, order_id=order_id)
    url = links.url(client.tenant_id, order.order_id)
    return json_response(order_out(order, order_url=url))


@router.put("/users/{user_id}/orders/{order_id}")
async def update_order(
    user_id: str,
    order_id: str,
    body: OrderUpdate,
    session: SessionDep,
    _: OrderEditor,
    links: OrderLinksDep,
) -> OrderOut:
    order = await orders.update_order(
        session, user_id=user_id, order_id=order_id, body=body, now=clock.now()
    )
    return _order_out(order, links)


@router.put("/users/{user_id}/orders/{order_id}/replacement_selections")
async def set_replacement_selections(
    user_id: str,
    order_id: str,
    body: ReplacementSelections,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
) -> OrderOut:
    """The customer's replacements for some lines, while the order is ``brand_new``,
    ``acknowledged`` or ``picking``; each overwrites its line's ``replacement_items``."""
    order = await replacements.set_replacements(
        session, user_id=user_id, order_id=order_id, body=body, now=clock.now()
    )
    return _order_out(order, links)


@router.put("/users/{user_id}/orders/{order_id}/tip")
async def update_tip(
    user_id: str,
    order_id: str,
    body: TipUpdate,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
) -> OrderOut:
    """A delivered delivery order's tip (before delivery: update the order)."""
    order = await tips.update_tip(
        session,
        user_id=user_id,
        order_id=order_id,
        tip_amount_cents=body.tip_amount_cents,
        now=clock.now(),
    )
    return _order_out(order, links)


@router.post("/users/{user_id}/orders/{order_id}/cancel")
async def cancel_order(
    user_id: str,
    order_id: str,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
    body: NoBody = None,
) -> OrderOut:
    """Cancels a ``brand_new`` or ``acknowledged`` order (``cancellation_reason``
    ``retailer_driven``)."""
    canceled = await orders.cancel_order(session, user_id=user_id, order_id=order_id)
    return _order_out(canceled, links)
