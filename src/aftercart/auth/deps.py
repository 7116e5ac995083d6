"""Dependencies that check the bearer token, its grant and its scope for an endpoint."""

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from aftercart.auth import scopes as sc
from aftercart.auth.cache import CachedToken, TokenCache
from aftercart.auth.secrets import digest
from aftercart.auth.service import LiveToken, TokenContext, resolve_token
from aftercart.db.session import SessionDep
from aftercart.errors import Forbidden, Unauthorized, UserNotActive


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("An access token is required")
    return value.strip()


async def authenticate(request: Request, session: SessionDep) -> LiveToken:
    """The live token, from the process's token cache or else from the database (then
    cached, unless its user is inactive). An unknown, expired or revoked token is 401."""
    token = bearer_token(request)
    cache: TokenCache = request.app.state.token_cache
    key = digest(token)
    now = time.monotonic()
    cached = cache.get(key, now=now)
    if cached is not None:
        return cached
    generation = cache.generation
    live = await resolve_token(session, token)
    if live is None:
        raise Unauthorized()
    if live.user_active:
        cache.put(key, CachedToken(live, generation, now))
    return live


def require(grant_type: str, scope: str) -> Callable[..., Awaitable[TokenContext]]:
    """A dependency accepting only a live token of ``grant_type`` that carries ``scope``.

    A token of another grant or without the scope is 403; a user token of an inactive user is
    403 ``User Not Active``.
    """

    async def dependency(live: Annotated[LiveToken, Depends(authenticate)]) -> TokenContext:
        context = live.context
        if context.grant_type != grant_type or scope not in context.scopes:
            raise Forbidden()
        if not live.user_active:
            raise UserNotActive()
        return context

    return dependency


FulfillmentClient = Annotated[TokenContext, Depends(require(sc.CLIENT_CREDENTIALS, sc.FULFILLMENT))]
RatingClient = Annotated[TokenContext, Depends(require(sc.CLIENT_CREDENTIALS, sc.RATING))]
RatingUser = Annotated[TokenContext, Depends(require(sc.USER_ASSERTION, sc.RATING))]
PostCheckoutUser = Annotated[TokenContext, Depends(require(sc.USER_ASSERTION, sc.POST_CHECKOUT))]
