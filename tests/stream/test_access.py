"""Who may open an order's stream; errors in the post-checkout shape."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.models import User
from tests.stream.helpers import Shop


async def test_no_token_is_401(
    http: httpx.AsyncClient,
    shop: Shop,
) -> None:
    response = await http.get(shop.path)
    assert response.status_code == 401
    assert response.json() == {"error": "An access token is required", "status": 401}


async def test_a_client_credentials_token_is_403(
    http: httpx.AsyncClient,
    shop: Shop,
    client_headers: dict[str, str],
) -> None:
    response = await http.get(shop.path, headers=client_headers)
    assert response.status_code == 403
    assert set(response.json()) == {"error", "status"}
    assert response.json()["status"] == 403


async def test_another_users_order_is_404_like_an_unknown_one(
    http: httpx.AsyncClient,
    shop: Shop,
) -> None:
    theirs = await http.get(
        f"/v2/post_checkout/orders/{shop.other_order.order_id}/events", headers=shop.headers
    )
    unknown = await http.get("/v2/post_checkout/orders/no-such-order/events", headers=shop.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json() == {"error": "Order not found", "status": 404}


async def test_a_last_event_id_that_is_not_an_id_is_400(
    http: httpx.AsyncClient,
    shop: Shop,
) -> None:
    response = await http.get(shop.path, headers={**shop.headers, "Last-Event-ID": "abc"})
    assert response.status_code == 400
    assert response.json() == {"error": "Last-Event-ID: is invalid", "status": 400}


async def test_an_inactive_users_token_is_403(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shop: Shop
) -> None:
    async with sessions() as session:
        user = await session.get(User, (1, shop.order.user_id))
        assert user is not None
        user.active = False
        await session.commit()
    response = await http.get(shop.path, headers=shop.headers)
    assert response.status_code == 403
    assert response.json()["status"] == 403
