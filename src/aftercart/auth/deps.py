"""Dependencies that check the bearer token, its grant and its scope for an endpoint."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from aftercart.auth import scopes as sc
from aftercart.auth.service import TokenContext, resolve_token
from aftercart.db.session import SessionDep
from aftercart.errors import Forbidden, Unauthorized, UserNotActive
from aftercart.models import User


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("An access token is required")
    return value.strip()


def require(grant_type: str, scope: str) -> Callable[..., Awaitable[TokenContext]]:
    """A dependency accepting only a live token of ``grant_type`` that carries ``scope``.

    A missing, unknown, expired or revoked token is 401; a token of another grant or without the
    scope is 403. A user token of an inactive user is 403 ``User Not Active``.
    """

    async def dependency(request: Request, session: SessionDep) -> TokenContext:
        context = await resolve_token(session, bearer_token(request))
        if context is None:
            raise Unauthorized()
        if context.grant_type != grant_type or scope not in context.scopes:
            raise Forbidden()
        if context.user_id is not None:
            user = await session.get(User, context.user_id)
            if user is None or not user.active:
                raise UserNotActive()
        return context

    return dependency


FulfillmentClient = Annotated[TokenContext, Depends(require(sc.CLIENT_CREDENTIALS, sc.FULFILLMENT))]
RatingClient = Annotated[TokenContext, Depends(require(sc.CLIENT_CREDENTIALS, sc.RATING))]
RatingUser = Annotated[TokenContext, Depends(require(sc.USER_ASSERTION, sc.RATING))]
PostCheckoutUser = Annotated[TokenContext, Depends(require(sc.USER_ASSERTION, sc.POST_CHECKOUT))]
