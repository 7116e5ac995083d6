"""Connect's fulfillment sandbox (reference §5, seed 002). Mounted only when ``sandbox`` is on.

Endpoints with resources in their path take the body as a plain object and judge it only after
those resources are found (see ``items.py`` for the order of checks).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.post_checkout.schemas import ChatMessage
from aftercart.sandbox import batches, callbacks, items, shoppers
from aftercart.sandbox.lookup import ShopperOrderRef
from aftercart.sandbox.schemas import (
    BatchCreate,
    BatchState,
    Created,
    ShopperCreate,
    Success,
)

router = APIRouter(
    prefix="/v2/fulfillment_sandbox", tags=["sandbox"], route_class=TransactionalRoute
)

RawBody = Annotated[dict[str, Any] | None, Body()]
InternalIds = Annotated[
    bool,
    Header(
        alias="X-Treat-Ids-As-Internal",
        description="Read order and line ids as Aftercart's internal numeric ids first.",
    ),
]
SHOPPER_ORDER = "/shoppers/{shopper_id}/orders/{order_id}"


async def _shopper_order(
    shopper_id: int, order_id: str, internal: InternalIds = False
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
    internal: InternalIds = False,
) -> BatchState:
    batch = await batches.create_batch(
        session,
        shopper_id=payload.shopper_id,
        orders=payload.orders,
        batch_type=payload.batch_type,
        workflow_state=payload.workflow_state,
        internal=internal,
    )
    return BatchState(id=batch.id, workflow_state=batch.workflow_state)


@router.post("/batches/{batch_id}/advance", response_model=BatchState)
async def advance_batch(
    batch_id: str, session: SessionDep, _client: FulfillmentClient, body: RawBody = None
) -> BatchState:
    batch = await batches.advance_batch(session, batch_ref=batch_id, body=body)
    return BatchState(id=batch.id, workflow_state=batch.workflow_state)


@router.post("/orders/{order_id}/callbacks", response_model=Success)
async def simulate_callback(
    order_id: str,
    session: SessionDep,
    _client: FulfillmentClient,
    internal: InternalIds = False,
    body: RawBody = None,
) -> Success:
    await callbacks.simulate_callback(session, order_ref=order_id, body=body, internal=internal)
    return Success()


@router.put(SHOPPER_ORDER + "/items/{line_num}", response_model=Success)
@router.post(SHOPPER_ORDER + "/items/{line_num}", response_model=Success)
async def update_item(
    line_num: str,
    target: ShopperOrder,
    session: SessionDep,
    _client: FulfillmentClient,
    body: RawBody = None,
) -> Success:
    await items.update_item(session, target=target, line_ref=line_num, body=body)
    return Success()


@router.post(SHOPPER_ORDER + "/items", response_model=Success)
async def add_item(
    target: ShopperOrder, session: SessionDep, _client: FulfillmentClient, body: RawBody = None
) -> Success:
    await items.add_item(session, target=target, body=body)
    return Success()


@router.post(SHOPPER_ORDER + "/messages", response_model=ChatMessage)
async def post_message(
    target: ShopperOrder, session: SessionDep, _client: FulfillmentClient, body: RawBody = None
) -> ChatMessage:
    return await callbacks.post_message(session, target=target, body=body)
