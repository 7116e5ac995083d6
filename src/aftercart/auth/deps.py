"""Dependencies that check the bearer token, its grant and its scope for an endpoint."""

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Depends, Request

from aftercart.auth import scopes as sc
from aftercart.auth.cache import CachedToken, TokenCache
from aftercart.auth.secrets import digest
from aftercart.auth.service import LiveToken, TokenContext, resolve_token
from aftercart.db.session import SessionDep
from aftercart.errors import Forbidden, Unauthorized, UserNotActive
from aftercart.sandbox.clock_scope import enter_tenant


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("An access token is required")
    return value.strip()


def basic_credentials(request: Request) -> dict[str, str]:
    """``client_id`` and ``client_secret`` from an HTTP Basic ``Authorization`` header (RFC 6749
    OAuth 2.0, as Swagger UI's Authorize sends them), or nothing."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return {}
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return {}
    return {"client_id": unquote_plus(client_id), "client_secret": unquote_plus(secret)}


async def authenticate(request: Request, session: SessionDep) -> LiveToken:
    """The live token, from the process's token cache or else from the database (then
    cached, unless its user is inactive). An unknown, expired or revoked token is 401; a
    client past its API rate limit is 429."""
    token = bearer_token(request)
    cache: TokenCache = request.app.state.token_cache
    key = digest(token)
    now = time.monotonic()
    generation = cache.generation
    live = cache.get(key, now=now)
    if live is None:
        live = await resolve_token(session, token)
        if live is None:
            raise Unauthorized()
        if live.user_active:
            cache.put(key, CachedToken(live, generation, now))
    # The token was live as of this generation: an event stream checks it again on any later one.
    request.state.token_generation = generation
    # Who is calling, for what runs around the endpoint (sandbox faults, the request monitor).
    request.state.client_id = live.context.client_id
    await enter_tenant(session, live.context.tenant_id)
    request.app.state.limits.api_request(live.context.client_id)
    return live


@dataclass(frozen=True)
class TokenRequirement:
    """A dependency accepting only a live token of ``grant_type`` that carries ``scope``.

    A token of another grant or without the scope is 403; a user token of an inactive user is
    403 ``User Not Active``. With ``order_link``, an order-link token with the scope is accepted
    too, on its own order only (the path's ``order_id``, and ``user_id`` where the path has one).
    The OpenAPI document reads the grant and scope from it.
    """

    grant_type: str
    scope: str
    order_link: bool = False

    async def __call__(
        self, request: Request, live: Annotated[LiveToken, Depends(authenticate)]
    ) -> TokenContext:
        context = live.context
        if self.scope not in context.scopes:
            raise Forbidden()
        if context.grant_type == sc.ORDER_LINK:
            if not (self.order_link and opens(context, request.path_params)):
                raise Forbidden()
        elif context.grant_type != self.grant_type:
            raise Forbidden()
        if not live.user_active:
            raise UserNotActive()
        return context


def opens(context: TokenContext, path_params: dict[str, str]) -> bool:
    """Whether an order-link token opens the path: the path names the token's order (and its
    user, where it names one)."""
    if path_params.get("order_id") != context.order_id:
        return False
    return path_params.get("user_id", context.user_id) == context.user_id


FulfillmentClient = Annotated[
    TokenContext, Depends(TokenRequirement(sc.CLIENT_CREDENTIALS, sc.FULFILLMENT))
]
RatingClient = Annotated[TokenContext, Depends(TokenRequirement(sc.CLIENT_CREDENTIALS, sc.RATING))]
RatingUser = Annotated[
    TokenContext, Depends(TokenRequirement(sc.USER_ASSERTION, sc.RATING, order_link=True))
]
PostCheckoutUser = Annotated[
    TokenContext,
    Depends(TokenRequirement(sc.USER_ASSERTION, sc.POST_CHECKOUT, order_link=True)),
]
#: The retailer's edit of an order, which the order status page may make with its order-link
#: token while the order is not yet being shopped.
OrderEditor = Annotated[
    TokenContext,
    Depends(TokenRequirement(sc.CLIENT_CREDENTIALS, sc.FULFILLMENT, order_link=True)),
]
