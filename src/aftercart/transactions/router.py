"""Point-of-sale transactions over HTTP: Instacart's Transaction API
(https://docs.instacart.com/connect/api/transaction/send_pos_transaction/), and the retailer's
listing of what it sent (an Aftercart addition). See docs/transactions.md."""

from typing import Annotated

from fastapi import APIRouter, Query

from aftercart import clock
from aftercart.auth.deps import FulfillmentClient
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.openapi.routes import errors
from aftercart.transactions import service
from aftercart.transactions.schemas import (
    ListParams,
    PosTransactionIn,
    PosTransactionPage,
    PosTransactionSent,
)

router = APIRouter(
    prefix="/v2/retailer_transaction", tags=["transactions"], route_class=TransactionalRoute
)


@router.post(
    "/pos_transactions",
    summary="Send point of sale transaction information",
    responses=errors(409),
)
async def send_pos_transaction(
    body: PosTransactionIn, session: SessionDep, client: FulfillmentClient
) -> PosTransactionSent:
    """Stores the transaction and answers its ``id``. Sending the same ``id`` again with the same
    body answers the same and stores nothing; with another body it is 409."""
    transaction_id = await service.record_transaction(
        session, body=body, client_id=client.client_id, now=clock.now()
    )
    return PosTransactionSent(id=transaction_id)


@router.get(
    "/pos_transactions",
    summary="List point of sale transactions, newest first (Aftercart addition)",
)
async def list_pos_transactions(
    params: Annotated[ListParams, Query()], session: SessionDep, _: FulfillmentClient
) -> PosTransactionPage:
    """Those of the order named by ``order_id``, or all of them; newest first, by arrival."""
    return await service.list_transactions(session, params=params)
