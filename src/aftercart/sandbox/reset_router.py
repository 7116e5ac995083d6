"""``POST /v2/fulfillment_sandbox/reset`` (an Aftercart addition), mounted with the sandbox. HTTP
only: the reset is :func:`aftercart.sandbox.reset.reset_tenant`."""

from typing import Final

from fastapi import APIRouter

from aftercart.auth.deps import FulfillmentClient
from aftercart.bodies import NoBody
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.sandbox.reset import reset_tenant
from aftercart.sandbox.reset_schemas import ResetDone

RESET_PATH: Final = "/v2/fulfillment_sandbox/reset"


router = APIRouter(prefix=RESET_PATH, tags=["sandbox"], route_class=TransactionalRoute)


@router.post("", summary="Remove every user, order and shopper of the caller's tenant")
async def reset(session: SessionDep, client: FulfillmentClient, body: NoBody = None) -> ResetDone:
    """Wipes the calling client's tenant in one transaction and says how many rows of each kind
    went: its users, orders, shoppers, batches, Instacart users, ratings, events, POS
    transactions, the webhook deliveries owed to its subscriptions and the request monitor's
    rows. Its clients (and their client tokens), webhook subscriptions, fault rules and
    branding are kept; stores, products and slots are shared and never touched. User tokens
    of the removed users stop working at once."""
    return ResetDone(removed=await reset_tenant(session, client.tenant_id))
