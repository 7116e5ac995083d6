"""The order-link grant: the order status page exchanges the signed token of its ``order_url``
for a bearer token, so that everything the page does goes through the public API.

The token is the order's user's and client's, restricted to that one order (``order_id``; see
:class:`aftercart.auth.deps.TokenRequirement`), and short-lived: the page asks for another when
it expires. A link that is wrong, or expired (:mod:`aftercart.fulfillment.status_tokens`), gets
one answer, so the grant tells nobody which order ids exist.
"""

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth import scopes as sc
from aftercart.auth.service import IssuedToken, store_token
from aftercart.errors import OAuthError
from aftercart.fulfillment import status_tokens
from aftercart.models import Order
from aftercart.post_checkout.lifecycle import ended_at

#: An hour: long enough for a page left open, short enough that a copied token soon stops.
ORDER_LINK_TOKEN_SECONDS: Final = 3600
INVALID_LINK: Final = "The order link is invalid or has expired"


async def issue_order_link_token(
    session: AsyncSession,
    *,
    order_id: str | None,
    order_token: str | None,
    secret: bytes,
    now: datetime,
) -> IssuedToken:
    if not order_id or not order_token:
        raise OAuthError(400, "invalid_grant", INVALID_LINK)
    tenant_id = status_tokens.verify(order_id, order_token, secret)
    if tenant_id is None:
        raise OAuthError(400, "invalid_grant", INVALID_LINK)
    order = await session.scalar(
        select(Order).where(Order.tenant_id == tenant_id, Order.order_id == order_id)
    )
    if order is None or order.client_id is None:
        raise OAuthError(400, "invalid_grant", INVALID_LINK)
    if status_tokens.expired(await ended_at(session, order), now):
        raise OAuthError(400, "invalid_grant", INVALID_LINK)
    return await store_token(
        session,
        client_id=order.client_id,
        tenant_id=order.tenant_id,
        grant_type=sc.ORDER_LINK,
        scope=" ".join(sc.ORDER_LINK_SCOPES),
        user_id=order.user_id,
        order_id=order_id,
        ttl_seconds=ORDER_LINK_TOKEN_SECONDS,
    )
