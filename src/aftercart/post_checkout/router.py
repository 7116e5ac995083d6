"""The customer's post-checkout API (Instacart's post-checkout OpenAPI document), with a user
token of scope connect:post_checkout."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response

from aftercart.auth.deps import PostCheckoutUser
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.envelopes import Dialect
from aftercart.limits.deps import ChattingUser
from aftercart.openapi import JSON
from aftercart.openapi.components import REF, envelope_name
from aftercart.post_checkout import pickup, pickup_rules, service, tracking
from aftercart.post_checkout import schemas as s
from aftercart.wire import json_response

router = APIRouter(
    prefix="/v2/post_checkout", tags=["post_checkout"], route_class=TransactionalRoute
)


@router.get(
    "/orders/{order_id}", response_model=s.PostCheckoutOrder, response_model_exclude_none=True
)
async def get_order(order_id: str, user: PostCheckoutUser, session: SessionDep) -> Response:
    order = await service.get_order(session, order_id=order_id, user_id=user.user_id)
    return json_response(order, exclude_none=True)


@router.get(
    "/orders/{order_id}/handling",
    response_model=s.OrderHandlingResponse,
    response_model_exclude_none=True,
)
async def get_order_handling(
    order_id: str, user: PostCheckoutUser, session: SessionDep, settings: SettingsDep
) -> Response:
    handling = await service.handling(
        session,
        order_id=order_id,
        user_id=user.user_id,
        remove_shopper=settings.remove_shopper_information,
    )
    return json_response(handling, exclude_none=True)


@router.get(
    "/orders/{order_id}/location",
    response_model=s.OrderLocation,
    response_model_exclude_none=True,
)
async def get_order_location(
    order_id: str, user: PostCheckoutUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The shopper's coordinates while the order is delivering; ``{}`` otherwise."""
    where = await tracking.location(
        session,
        order_id=order_id,
        user_id=user.user_id,
        remove_shopper=settings.remove_shopper_information,
    )
    return json_response(where, exclude_none=True)


@router.get("/orders/{order_id}/order_messages")
async def get_order_messages(
    order_id: str, user: PostCheckoutUser, session: SessionDep, settings: SettingsDep
) -> s.OrderMessagesResponse:
    return await service.order_messages(
        session,
        order_id=order_id,
        user_id=user.user_id,
        remove_shopper=settings.remove_shopper_information,
    )


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
    order_id: str, user: PostCheckoutUser, session: SessionDep, settings: SettingsDep
) -> s.ChatMessagesResponse:
    return await service.messages(
        session,
        order_id=order_id,
        user_id=user.user_id,
        remove_shopper=settings.remove_shopper_information,
    )


@router.post("/chat/{order_id}/messages")
async def send_chat_message(
    order_id: str,
    request: s.SendMessageRequest,
    user: ChattingUser,
    session: SessionDep,
    settings: SettingsDep,
) -> s.ChatMessage:
    return await service.send_message(
        session,
        order_id=order_id,
        user_id=user.user_id,
        body=request.body,
        remove_shopper=settings.remove_shopper_information,
    )


# --- Curbside pickup: Connect's error envelope (see aftercart.envelopes.dialect_for) ------------

#: Get pickup instructions reads no body, yet answers 400 for a delivery order (code 4001).
_NON_PICKUP: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Not a pickup order",
        "content": {
            JSON: {
                "schema": {"$ref": REF + envelope_name(Dialect.CONNECT, 400)},
                "example": {
                    "error": {"message": pickup_rules.NON_PICKUP, "code": 4001},
                    "meta": {},
                },
            }
        },
    }
}


@router.post("/orders/{order_id}/pickup/user_arrived")
async def record_user_arrival(
    order_id: str,
    user: PostCheckoutUser,
    session: SessionDep,
    settings: SettingsDep,
    request: Annotated[s.UserArrivedRequest | None, Body()] = None,
) -> s.PickupSuccess:
    await pickup.user_arrived(
        session,
        order_id=order_id,
        user_id=user.user_id,
        as_delegate=request.is_pickup_delegate if request is not None else False,
        category=settings.pickup_category,
    )
    return s.PickupSuccess()


@router.post("/orders/{order_id}/pickup/schedule_pickup")
async def schedule_pickup(
    order_id: str,
    request: s.SchedulePickupRequest,
    user: PostCheckoutUser,
    session: SessionDep,
    settings: SettingsDep,
) -> s.PickupSuccess:
    await pickup.schedule_pickup(
        session,
        order_id=order_id,
        user_id=user.user_id,
        eta=request.schedule_pickup_eta,
        category=settings.pickup_category,
    )
    return s.PickupSuccess()


@router.get(
    "/orders/{order_id}/pickup/details",
    response_model=s.PickupDetails,
    response_model_exclude_none=True,
    responses=_NON_PICKUP,
)
async def get_pickup_details(
    order_id: str, user: PostCheckoutUser, session: SessionDep, settings: SettingsDep
) -> Response:
    found = await pickup.details(
        session,
        order_id=order_id,
        user_id=user.user_id,
        category=settings.pickup_category,
        instructions=settings.pickup_instructions,
    )
    return json_response(found, exclude_none=True)


@router.put("/orders/{order_id}/pickup_delegate")
async def put_pickup_delegate(
    order_id: str,
    request: s.PickupDelegateRequest,
    user: PostCheckoutUser,
    session: SessionDep,
    settings: SettingsDep,
) -> s.Empty:
    await pickup.set_delegate(
        session,
        order_id=order_id,
        user_id=user.user_id,
        name=request.name,
        phone_number=request.phone_number,
        category=settings.pickup_category,
    )
    return s.Empty()
