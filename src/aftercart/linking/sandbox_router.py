"""The sandbox's Instacart users, who authorise a link (Connect's "Create an Instacart user" and
"Authorize an Instacart user for account linking" pages under
https://docs.instacart.com/connect/api/sandbox/instacart_users/). Mounted only when the sandbox
is on."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BeforeValidator

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.linking import service
from aftercart.linking.schemas import Authorize, Code, InstacartUserCreate
from aftercart.sandbox import listing
from aftercart.sandbox.schemas import Created, InstacartUserList, InstacartUserView, PageParams

router = APIRouter(
    prefix="/v2/fulfillment_sandbox", tags=["sandbox"], route_class=TransactionalRoute
)


def _unchanged(value: Any) -> Any:
    return value


#: Taken as a plain object and judged once the Instacart user in the path is found; the OpenAPI
#: document shows it as :class:`Authorize`.
AuthorizeBody = Annotated[
    dict[str, Any] | None, BeforeValidator(_unchanged, json_schema_input_type=Authorize), Body()
]


@router.post("/instacart_users", summary="Create an Instacart user")
async def create_instacart_user(
    body: InstacartUserCreate, session: SessionDep, _: FulfillmentClient
) -> Created:
    account = await service.create_instacart_user(session, body=body)
    return Created(id=account.id)


@router.post(
    "/instacart_users/{user_id}/authorize",
    summary="Authorize an Instacart user for account linking",
)
async def authorize_instacart_user(
    user_id: str, session: SessionDep, client: FulfillmentClient, body: AuthorizeBody = None
) -> Code:
    """The code is bound to the calling client and to ``redirect_uri``."""
    code = await service.authorize(session, client_id=client.client_id, user_ref=user_id, body=body)
    return Code(code=code)


@router.get("/instacart_users", summary="List sandbox Instacart users, newest first")
async def list_instacart_users(
    params: Annotated[PageParams, Query()], session: SessionDep, _: FulfillmentClient
) -> InstacartUserList:
    """An Aftercart addition. The accounts record no client, so every client sees each; their
    passwords (kept only as hashes) and authorization codes are never shown."""
    return await listing.list_instacart_users(session, params=params)


@router.get("/instacart_users/{user_id}", summary="Read a sandbox Instacart user")
async def read_instacart_user(
    user_id: str, session: SessionDep, _: FulfillmentClient
) -> InstacartUserView:
    """An Aftercart addition; an unknown id is 400 ``Invalid user_id``, as authorize answers."""
    return await listing.read_instacart_user(session, user_ref=user_id)
