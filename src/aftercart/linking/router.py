"""Account linking over HTTP: Connect's "Link an Instacart account" and "Get Instacart account
information" (https://docs.instacart.com/connect/api/fulfillment/users/link_user,
https://docs.instacart.com/connect/api/fulfillment/users/get_user_link)."""

from fastapi import APIRouter

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.db.types import utcnow
from aftercart.linking import service
from aftercart.linking.schemas import LinkRequest, LinkStatus, link_status
from aftercart.sandbox.schemas import Success

router = APIRouter(prefix="/v2/fulfillment", tags=["fulfillment"], route_class=TransactionalRoute)


@router.post("/users/{user_id}/link", summary="Link an Instacart account")
async def link_user(
    user_id: str, body: LinkRequest, session: SessionDep, _: FulfillmentClient
) -> Success:
    await service.link_user(session, user_id=user_id, linking_token=body.linking_token)
    return Success()


@router.get(
    "/users/{user_id}/link",
    summary="Get Instacart account information",
    response_model_exclude_none=True,
)
async def get_user_link(user_id: str, session: SessionDep, _: FulfillmentClient) -> LinkStatus:
    """``expired_at`` is there for Instacart+ members only."""
    return link_status(await service.linked_account(session, user_id=user_id), utcnow())
