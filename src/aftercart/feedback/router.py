"""Connect ratings (Instacart's "Create or update order feedback" pages) and the retailer's
reads of every rating."""

from typing import Annotated

from fastapi import APIRouter, Query

from aftercart.auth.deps import RatingClient, RatingUser
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.feedback import queries, service
from aftercart.feedback.rules import BACKEND, FRONTEND
from aftercart.feedback.schemas import (
    ListParams,
    RatingFilters,
    RatingIn,
    RatingOut,
    RatingPage,
    Success,
    Summary,
)

router = APIRouter(prefix="/v2/feedback", tags=["feedback"], route_class=TransactionalRoute)


@router.post("/orders/{order_id}/rating", summary="Create or update order feedback (frontend)")
async def rate_own_order(
    order_id: str, body: RatingIn, caller: RatingUser, session: SessionDep
) -> Success:
    assert caller.user_id is not None
    await service.rate_order(
        session, user_id=caller.user_id, order_id=order_id, body=body, channel=FRONTEND
    )
    return Success()


@router.get("/orders/{order_id}/rating", summary="Read order feedback (frontend)")
async def read_own_rating(order_id: str, caller: RatingUser, session: SessionDep) -> RatingOut:
    assert caller.user_id is not None
    return await service.read_rating(session, user_id=caller.user_id, order_id=order_id)


@router.post(
    "/users/{user_id}/orders/{order_id}/rating",
    summary="Create or update order feedback (backend)",
)
async def rate_users_order(
    user_id: str, order_id: str, body: RatingIn, _: RatingClient, session: SessionDep
) -> Success:
    await service.check_user(session, user_id)
    await service.rate_order(
        session, user_id=user_id, order_id=order_id, body=body, channel=BACKEND
    )
    return Success()


@router.get("/users/{user_id}/orders/{order_id}/rating", summary="Read order feedback (backend)")
async def read_users_rating(
    user_id: str, order_id: str, _: RatingClient, session: SessionDep
) -> RatingOut:
    await service.check_user(session, user_id)
    return await service.read_rating(session, user_id=user_id, order_id=order_id)


@router.get("/ratings", summary="List ratings from every source, newest first")
async def list_ratings(
    params: Annotated[ListParams, Query()], _: RatingClient, session: SessionDep
) -> RatingPage:
    return await queries.list_ratings(session, params=params)


@router.get("/summary", summary="Rating figures overall and per source, store and shopper")
async def summary(
    filters: Annotated[RatingFilters, Query()], _: RatingClient, session: SessionDep
) -> Summary:
    return await queries.summarize(session, filters=filters)
