"""Connect's fulfillment sandbox (Instacart's sandbox overview and "Update an order item as a
shopper" pages). Mounted only when the sandbox is on.

Endpoints with resources in their path take the body as a plain object and judge it only after
those resources are found (see ``items.py`` for the order of checks).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query
from pydantic import BeforeValidator

from aftercart.auth.deps import FulfillmentClient
from aftercart.config import SettingsDep
from aftercart.db.ids import RowId
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.fulfillment.order_links import OrderLinksDep
from aftercart.limits.deps import ChattingShopper
from aftercart.post_checkout.schemas import ChatMessage, ChatMessagesResponse
from aftercart.sandbox import batches, callbacks, items, listing, reads, shoppers, triggers
from aftercart.sandbox.lookup import ShopperOrderRef
from aftercart.sandbox.read_rules import MAX_QUERY_LENGTH
from aftercart.sandbox.schemas import (
    BatchAdvance,
    BatchCreate,
    BatchDetail,
    BatchList,
    BatchListParams,
    BatchState,
    Callback,
    Created,
    ItemAdd,
    ItemUpdate,
    MessageCreate,
    PageParams,
    ProductSearch,
    Request,
    ShopperCreate,
    ShopperList,
    ShopperView,
    Success,
    Trigger,
    Triggered,
    UserOrderList,
    parse,
)

router = APIRouter(
    prefix="/v2/fulfillment_sandbox", tags=["sandbox"], route_class=TransactionalRoute
)


def _unchanged(value: Any) -> Any:
    return value


def _taken_as_is(model: type[Request]) -> BeforeValidator:
    """A body taken as a plain object, to be judged by ``parse`` once the resources in the path
    are found; the OpenAPI document shows it as ``model``."""
    return BeforeValidator(_unchanged, json_schema_input_type=model)


AdvanceBody = Annotated[dict[str, Any] | None, _taken_as_is(BatchAdvance), Body()]
CallbackBody = Annotated[dict[str, Any] | None, _taken_as_is(Callback), Body()]
TriggerBody = Annotated[dict[str, Any] | None, _taken_as_is(Trigger), Body()]
ItemUpdateBody = Annotated[dict[str, Any] | None, _taken_as_is(ItemUpdate), Body()]
ItemAddBody = Annotated[dict[str, Any] | None, _taken_as_is(ItemAdd), Body()]
MessageBody = Annotated[dict[str, Any] | None, _taken_as_is(MessageCreate), Body()]
InternalIds = Annotated[
    bool,
    Header(
        alias="X-Treat-Ids-As-Internal",
        description="Read order and line ids as Aftercart's internal numeric ids first.",
    ),
]
SHOPPER_ORDER = "/shoppers/{shopper_id}/orders/{order_id}"


async def _shopper_order(
    shopper_id: RowId, order_id: str, internal: InternalIds = False
) -> ShopperOrderRef:
    return ShopperOrderRef(shopper_id=shopper_id, order_id=order_id, internal=internal)


ShopperOrder = Annotated[ShopperOrderRef, Depends(_shopper_order)]


@router.post("/shoppers", response_model=Created)
async def create_shopper(
    payload: ShopperCreate, session: SessionDep, _client: FulfillmentClient
) -> Created:
    shopper = await shoppers.create_shopper(
        session, email=payload.email, phone=payload.phone, first_name=payload.first_name
    )
    return Created(id=shopper.id)


@router.post("/batches", response_model=BatchState)
async def create_batch(
    payload: BatchCreate,
    session: SessionDep,
    _client: FulfillmentClient,
    settings: SettingsDep,
    internal: InternalIds = False,
) -> BatchState:
    batch = await batches.create_batch(
        session,
        shopper_id=payload.shopper_id,
        orders=payload.orders,
        batch_type=payload.batch_type,
        workflow_state=payload.workflow_state,
        internal=internal,
        pickup_category=settings.pickup_category,
    )
    return BatchState(id=batch.id, workflow_state=batch.workflow_state)


@router.post("/batches/{batch_id}/advance", response_model=BatchState)
async def advance_batch(
    batch_id: str,
    session: SessionDep,
    _client: FulfillmentClient,
    settings: SettingsDep,
    body: AdvanceBody = None,
) -> BatchState:
    batch = await batches.advance_batch(
        session, batch_ref=batch_id, body=body, pickup_category=settings.pickup_category
    )
    return BatchState(id=batch.id, workflow_state=batch.workflow_state)


@router.post("/orders/{order_id}/callbacks", response_model=Success)
async def simulate_callback(
    order_id: str,
    session: SessionDep,
    _client: FulfillmentClient,
    internal: InternalIds = False,
    body: CallbackBody = None,
) -> Success:
    await callbacks.simulate_callback(session, order_ref=order_id, body=body, internal=internal)
    return Success()


@router.post("/orders/{order_id}/trigger", response_model=Triggered)
async def trigger_event(
    order_id: str,
    session: SessionDep,
    client: FulfillmentClient,
    settings: SettingsDep,
    internal: InternalIds = False,
    body: TriggerBody = None,
) -> Triggered:
    """An Aftercart addition: sends any callback of the catalogue for the order, as Aftercart
    would write it now, with ``overrides`` applied; the order itself does not change."""
    request = parse(Trigger, body)
    event = await triggers.trigger(
        session,
        order_ref=order_id,
        event_name=request.event_name,
        overrides=request.overrides,
        pickup_category=settings.pickup_category,
        internal=internal,
        line_num=request.line_num,
    )
    return Triggered.model_validate(triggers.wire(event))


@router.put(SHOPPER_ORDER + "/items/{line_num}", response_model=Success)
@router.post(SHOPPER_ORDER + "/items/{line_num}", response_model=Success)
async def update_item(
    line_num: str,
    target: ShopperOrder,
    session: SessionDep,
    _client: FulfillmentClient,
    body: ItemUpdateBody = None,
) -> Success:
    await items.update_item(session, target=target, line_ref=line_num, body=body)
    return Success()


@router.post(SHOPPER_ORDER + "/items", response_model=Success)
async def add_item(
    target: ShopperOrder, session: SessionDep, _client: FulfillmentClient, body: ItemAddBody = None
) -> Success:
    await items.add_item(session, target=target, body=body)
    return Success()


@router.post(SHOPPER_ORDER + "/messages", response_model=ChatMessage)
async def post_message(
    target: ShopperOrder,
    session: SessionDep,
    _client: FulfillmentClient,
    _limit: ChattingShopper,
    body: MessageBody = None,
) -> ChatMessage:
    return await callbacks.post_message(session, target=target, body=body)


# --- Reads: Aftercart additions, for the shopper console ------------------------------------------


@router.get("/shoppers/{shopper_id}", response_model=ShopperView)
async def read_shopper(
    shopper_id: RowId, session: SessionDep, client: FulfillmentClient
) -> ShopperView:
    """The shopper and their open batches, with the calling client's orders and their items."""
    return await reads.shopper_view(session, shopper_id=shopper_id)


@router.get("/products", response_model=ProductSearch)
async def search_products(
    session: SessionDep,
    _client: FulfillmentClient,
    query: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="Part of a product's name, or its UPC, RRC or any barcode of it; "
            "without one, the first products by name.",
        ),
    ] = "",
) -> ProductSearch:
    return await reads.search_products(session, query=query)


@router.get(SHOPPER_ORDER + "/messages", response_model=ChatMessagesResponse)
async def read_messages(
    target: ShopperOrder, session: SessionDep, client: FulfillmentClient
) -> ChatMessagesResponse:
    """The order's chat, oldest first, as its shopper reads it."""
    return await reads.order_messages(session, target=target)


# --- Lists: Aftercart additions, what the sandbox created -----------------------------------------


@router.get("/shoppers", summary="List sandbox shoppers, newest first")
async def list_shoppers(
    params: Annotated[PageParams, Query()], session: SessionDep, client: FulfillmentClient
) -> ShopperList:
    """The shoppers the caller sees: those without a batch yet, and those batched with its
    orders."""
    return await listing.list_shoppers(session, params=params)


@router.get("/batches", summary="List sandbox batches, newest first")
async def list_batches(
    params: Annotated[BatchListParams, Query()], session: SessionDep, client: FulfillmentClient
) -> BatchList:
    """The batches holding an order the caller sees, with those orders."""
    return await listing.list_batches(session, params=params)


@router.get("/batches/{batch_id}", summary="Read a sandbox batch")
async def read_batch(
    batch_id: RowId, session: SessionDep, client: FulfillmentClient
) -> BatchDetail:
    """Its type, state, shopper and the caller's orders; one holding none of them is 404."""
    return await listing.read_batch(session, batch_id=batch_id)


@router.get("/users/{user_id}/orders", summary="List a Connect user's orders, newest first")
async def list_user_orders(
    user_id: str,
    params: Annotated[PageParams, Query()],
    session: SessionDep,
    client: FulfillmentClient,
    links: OrderLinksDep,
) -> UserOrderList:
    """The user's orders that the caller sees (Connect's fulfillment API has no such list)."""
    return await listing.list_user_orders(session, user_id=user_id, params=params, links=links)
