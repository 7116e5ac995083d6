"""Last mile over HTTP: the fulfillment API's last-mile endpoints (Connect's "Find stores",
"List service options", "Create a last mile delivery order", "Stage a last mile delivery
order") and the single-call dispatch API (``/v2/fulfillment/lastmile/orders``)."""

from typing import Annotated

from fastapi import APIRouter, Header

from aftercart import clock
from aftercart.auth.deps import FulfillmentClient
from aftercart.bodies import NoBody
from aftercart.config import Settings, SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.fulfillment import rules, slots, stores
from aftercart.fulfillment.order_links import OrderLinks, OrderLinksDep
from aftercart.fulfillment.schemas import StoreSearch
from aftercart.fulfillment.snapshot import snapshot_of
from aftercart.fulfillment.views import (
    OrderOut,
    ServiceOptionsOut,
    StoresOut,
    order_out,
    store_out,
)
from aftercart.lastmile import dispatch, service
from aftercart.lastmile.schemas import (
    DispatchOrderCreate,
    DispatchOrderOut,
    DispatchOrderUpdate,
    LastMileOrderCreate,
    LastMileSlotSearch,
    StageOrder,
)
from aftercart.models import LastMileOrder, Order

router = APIRouter(prefix="/v2/fulfillment", tags=["last mile"], route_class=TransactionalRoute)

AcceptLanguage = Annotated[str | None, Header()]


def _policy(settings: Settings) -> slots.SlotPolicy:
    return slots.SlotPolicy(days=settings.slot_days, capacity=settings.slot_capacity)


def _order_out(order: Order, links: OrderLinks) -> OrderOut:
    return order_out(snapshot_of(order), order_url=links.url(order.tenant_id, order.order_id))


def _dispatch_out(order: Order, details: LastMileOrder, links: OrderLinks) -> DispatchOrderOut:
    base = _order_out(order, links)
    return DispatchOrderOut(**dict(base), metadata=details.metadata_)


@router.post("/stores/last_mile")
async def find_last_mile_stores(
    body: StoreSearch, session: SessionDep, _: FulfillmentClient
) -> StoresOut:
    """Stores whose packed orders Instacart shoppers deliver to the place, nearest first
    (within 16 km: the stores that deliver)."""
    found = await stores.find_stores(session, find_by=body.find_by, service_type=rules.LAST_MILE)
    return StoresOut(stores=[store_out(store, km) for store, km in found])


@router.post("/users/{user_id}/service_options/cart/last_mile")
async def list_last_mile_options(
    user_id: str,
    body: LastMileSlotSearch,
    session: SessionDep,
    settings: SettingsDep,
    _: FulfillmentClient,
) -> ServiceOptionsOut:
    """One-hour windows from 08:00 to 20:00 store time; reserve one with the usual reserve."""
    options = await service.list_options(
        session, user_id=user_id, body=body, now=clock.now(), policy=_policy(settings)
    )
    return ServiceOptionsOut(service_options=options)


@router.post("/users/{user_id}/orders/last_mile")
async def create_last_mile_order(
    user_id: str,
    body: LastMileOrderCreate,
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
    accept_language: AcceptLanguage = None,
) -> OrderOut:
    order, _details = await service.create_order(
        session,
        user_id=user_id,
        client_id=client.client_id,
        body=body,
        locale=rules.locale_from_accept_language(accept_language),
        now=clock.now(),
    )
    return _order_out(order, links)


@router.post("/users/{user_id}/orders/{order_id}/staged")
async def stage_last_mile_order(
    user_id: str,
    order_id: str,
    body: StageOrder,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
) -> OrderOut:
    """The bags are in the staging area: a shopper is dispatched (``staged_for_delivery``)."""
    order, _details = await service.stage_users_order(
        session, user_id=user_id, order_id=order_id, body=body, now=clock.now()
    )
    return _order_out(order, links)


@router.post("/lastmile/orders")
async def create_dispatch_order(
    body: DispatchOrderCreate,
    session: SessionDep,
    settings: SettingsDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
    accept_language: AcceptLanguage = None,
) -> DispatchOrderOut:
    """The order in the requested window (or the same day's soonest with
    ``fallback_to_soonest_sameday``); one no shopper can carry comes back ``canceled``."""
    order, details = await dispatch.create_order(
        session,
        client_id=client.client_id,
        body=body,
        locale=rules.locale_from_accept_language(accept_language),
        now=clock.now(),
        policy=_policy(settings),
    )
    return _dispatch_out(order, details, links)


@router.put("/lastmile/orders/{order_id}")
async def update_dispatch_order(
    order_id: str,
    body: DispatchOrderUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
) -> DispatchOrderOut:
    order, details = await dispatch.update_order(
        session, order_id=order_id, body=body, now=clock.now(), policy=_policy(settings)
    )
    return _dispatch_out(order, details, links)


@router.post("/lastmile/orders/{order_id}/staged")
async def stage_dispatch_order(
    order_id: str,
    body: StageOrder,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
) -> DispatchOrderOut:
    order, details = await dispatch.stage_order(
        session, order_id=order_id, body=body, now=clock.now()
    )
    return _dispatch_out(order, details, links)


@router.post("/lastmile/orders/{order_id}/cancel")
async def cancel_dispatch_order(
    order_id: str,
    session: SessionDep,
    _: FulfillmentClient,
    links: OrderLinksDep,
    body: NoBody = None,
) -> DispatchOrderOut:
    """Only while ``brand_new`` (``cancellation_reason`` ``retailer_driven``)."""
    order, details = await dispatch.cancel_order(session, order_id=order_id)
    return _dispatch_out(order, details, links)
