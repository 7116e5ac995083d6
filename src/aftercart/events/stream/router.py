from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from aftercart.auth.deps import PostCheckoutUser, authenticate, bearer_token
from aftercart.auth.secrets import digest
from aftercart.auth.service import LiveToken
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.events.stream import live, rules, service
from aftercart.events.stream.broker import Broker
from aftercart.events.stream.tokens import TokenWatch

router = APIRouter(route_class=TransactionalRoute, tags=["post_checkout"])

#: A client whose socket accepts nothing for this long is cut off (it resumes on reconnect).
SEND_TIMEOUT_SECONDS = 30.0


@router.get(
    "/v2/post_checkout/orders/{order_id}/events",
    response_class=live.OrderEventsResponse,
    status_code=200,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        400: {"description": "Last-Event-ID (or last_event_id) is not an event id."},
        409: {"description": "The token has as many open streams as it may."},
    },
    summary="Stream the order's events (Server-Sent Events)",
)
async def order_events(
    order_id: str,
    request: Request,
    session: SessionDep,
    user: PostCheckoutUser,
    settings: SettingsDep,
    live_token: Annotated[LiveToken, Depends(authenticate)],
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Annotated[str | None, Query()] = None,
) -> live.OrderEventsResponse:
    """Status changes, item updates, replacement decisions, chat messages and ratings of the
    order as they are committed. ``Last-Event-ID`` (or ``last_event_id``) resumes after that id.
    The stream ends when its token expires or is revoked."""
    order_pk = await service.own_order_pk(session, order_id=order_id, user_id=user.user_id)
    after = rules.resume_point(last_event_id_header, last_event_id)
    broker: Broker = request.app.state.broker
    watch: TokenWatch = request.app.state.stream_tokens
    lease = await watch.open(
        digest(bearer_token(request)), checked_at=request.state.token_generation
    )
    return live.OrderEventsResponse(
        broker,
        order_pk=order_pk,
        after=after,
        keepalive_seconds=settings.stream_keepalive_seconds,
        max_seconds=settings.stream_max_seconds,
        send_timeout=SEND_TIMEOUT_SECONDS,
        lease=lease,
        token_expires_at=live_token.expires_at,
    )
