"""The customer's post-checkout API (seed 004), with a user token of scope connect:post_checkout."""

from fastapi import APIRouter, Response

from aftercart.auth.deps import PostCheckoutUser
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.post_checkout import schemas as s
from aftercart.post_checkout import service
from aftercart.wire import json_response

router = APIRouter(
    prefix="/v2/post_checkout", tags=["post_checkout"], route_class=TransactionalRoute
)


@router.get(
    "/orders/{order_id}/handling",
    response_model=s.OrderHandlingResponse,
    response_model_exclude_none=True,
)
async def get_order_handling(
    order_id: str, user: PostCheckoutUser, session: SessionDep
) -> Response:
    handling = await service.handling(session, order_id=order_id, user_id=user.user_id)
    return json_response(handling, exclude_none=True)


@router.get(
    "/orders/{order_id}/items",
    response_model=s.OrderItemsResponse,
    response_model_exclude_none=True,
)
async def get_order_items(order_id: str, user: PostCheckoutUser, session: SessionDep) -> Response:
    items = await service.items(session, order_id=order_id, user_id=user.user_id)
    return json_response(items, exclude_none=True)


@router.put("/orders/{order_id}/items/{order_item_id}/replacement")
async def update_item_replacement(
    order_id: str,
    order_item_id: str,
    request: s.ReplacementDecisionRequest,
    user: PostCheckoutUser,
    session: SessionDep,
) -> s.ReplacementResponse:
    return await service.decide_replacement(
        session,
        order_id=order_id,
        user_id=user.user_id,
        line_num=order_item_id,
        decision=request.status,
    )


@router.get("/chat/{order_id}/messages")
async def get_chat_messages(
    order_id: str, user: PostCheckoutUser, session: SessionDep
) -> s.ChatMessagesResponse:
    return await service.messages(session, order_id=order_id, user_id=user.user_id)


@router.post("/chat/{order_id}/messages")
async def send_chat_message(
    order_id: str, request: s.SendMessageRequest, user: PostCheckoutUser, session: SessionDep
) -> s.ChatMessage:
    return await service.send_message(
        session, order_id=order_id, user_id=user.user_id, body=request.body
    )
