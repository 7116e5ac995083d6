"""The order-link grant: the status page's signed link exchanged for a token that opens that
one order, as its user and as its retailer's edit, and nothing else."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth import scopes as sc
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.models import AccessToken, Order
from tests import factories
from tests.web.helpers import Grocery, Placed, arrange_grocery, place

Sessions = async_sessionmaker[AsyncSession]
TOKEN_URL = "/v2/oauth/token"


def link_token(placed: Placed) -> str:
    return parse_qs(urlsplit(placed.order_url).query)["token"][0]


async def exchange(http: httpx.AsyncClient, order_id: str, order_token: str) -> httpx.Response:
    body = {"grant_type": sc.ORDER_LINK, "order_id": order_id, "order_token": order_token}
    return await http.post(TOKEN_URL, data=body)


async def page_headers(http: httpx.AsyncClient, placed: Placed) -> dict[str, str]:
    response = await exchange(http, placed.order_id, link_token(placed))
    assert response.status_code == 200, response.text
    return factories.bearer(response.json()["access_token"])


@pytest.fixture
async def grocery(sessions: Sessions) -> Grocery:
    return await arrange_grocery(sessions)


@pytest.fixture
async def two_orders(
    http: httpx.AsyncClient, grocery: Grocery, client_headers: dict[str, str]
) -> tuple[Placed, Placed]:
    first = await place(http, client_headers, grocery, "order-1")
    second = await place(http, client_headers, grocery, "order-2")
    return first, second


async def test_the_link_gives_an_hour_long_token_without_client_credentials(
    http: httpx.AsyncClient, two_orders: tuple[Placed, Placed]
) -> None:
    placed, _ = two_orders
    response = await exchange(http, placed.order_id, link_token(placed))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"].split() == ["connect:post_checkout", sc.RATING, sc.FULFILLMENT]
    assert response.headers["cache-control"] == "no-store"


async def test_the_token_opens_its_own_orders_endpoints(
    http: httpx.AsyncClient, grocery: Grocery, two_orders: tuple[Placed, Placed]
) -> None:
    placed, _ = two_orders
    headers = await page_headers(http, placed)
    base = f"/v2/post_checkout/orders/{placed.order_id}"
    for path in (base, f"{base}/items", f"{base}/handling", f"{base}/order_messages"):
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    rating = await http.get(f"/v2/feedback/orders/{placed.order_id}/rating", headers=headers)
    assert rating.status_code == 404  # not rated yet: the endpoint answered, it did not refuse
    first = {"line_num": "1", "count": 5, "item": {"upc": grocery.shop.upcs[0]}}
    edit = await http.put(
        f"/v2/fulfillment/users/{placed.user_id}/orders/{placed.order_id}",
        json={"items": [first]},
        headers=headers,
    )
    assert edit.status_code == 200, edit.text
    assert [line["count"] for line in edit.json()["items"]] == [5]


async def test_the_token_opens_no_other_order_and_no_other_endpoint(
    http: httpx.AsyncClient, two_orders: tuple[Placed, Placed]
) -> None:
    placed, other = two_orders
    headers = await page_headers(http, placed)
    refused = [
        ("GET", f"/v2/post_checkout/orders/{other.order_id}/items"),
        ("PUT", f"/v2/fulfillment/users/{other.user_id}/orders/{other.order_id}"),
        ("PUT", f"/v2/fulfillment/users/someone-else/orders/{placed.order_id}"),
        ("GET", f"/v2/fulfillment/users/{placed.user_id}/orders/{placed.order_id}"),
        ("POST", f"/v2/fulfillment/users/{placed.user_id}/orders/{placed.order_id}/cancel"),
        ("GET", "/v2/feedback/ratings"),
        ("GET", "/v2/webhooks"),
        ("POST", "/v2/fulfillment_sandbox/shoppers"),
    ]
    for method, path in refused:
        response = await http.request(method, path, headers=headers, json={})
        assert response.status_code == 403, (method, path, response.text)


async def test_a_wrong_or_foreign_link_is_one_invalid_grant(
    http: httpx.AsyncClient, two_orders: tuple[Placed, Placed]
) -> None:
    placed, other = two_orders
    cases = [
        (placed.order_id, link_token(other)),
        ("no-such-order", link_token(placed)),
        (placed.order_id, ""),
        (
            placed.order_id,
            link_token(placed)[:-1] + ("B" if link_token(placed)[-1] != "B" else "C"),
        ),
    ]
    for order_id, token in cases:
        response = await exchange(http, order_id, token)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_grant"


async def test_the_link_is_refused_in_the_query_string(
    http: httpx.AsyncClient, two_orders: tuple[Placed, Placed]
) -> None:
    placed, _ = two_orders
    response = await http.post(
        TOKEN_URL,
        params={"order_token": link_token(placed)},
        data={"grant_type": sc.ORDER_LINK, "order_id": placed.order_id},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("days_ago", "works"), [(6, True), (7, False), (30, False)])
async def test_the_link_stops_seven_days_after_the_order_ends(
    http: httpx.AsyncClient,
    sessions: Sessions,
    two_orders: tuple[Placed, Placed],
    days_ago: int,
    works: bool,
) -> None:
    placed, _ = two_orders
    ended = utcnow() - timedelta(days=days_ago, minutes=1 if days_ago == 7 else 0)
    async with sessions() as session:
        await session.execute(
            update(Order)
            .where(Order.order_id == placed.order_id)
            .values(workflow_state="completed", delivered_at=ended)
        )
        await session.commit()
    response = await exchange(http, placed.order_id, link_token(placed))
    assert (response.status_code == 200) is works, response.text
    page = await http.get(urlsplit(placed.order_url)._replace(scheme="", netloc="").geturl())
    assert page.status_code == (200 if works else 410)


async def test_page_tokens_do_not_count_towards_the_clients_cap(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    two_orders: tuple[Placed, Placed],
) -> None:
    placed, _ = two_orders
    for _ in range(3):
        await page_headers(http, placed)
    async with sessions() as session:
        restricted = await session.scalars(
            AccessToken.__table__.select().where(AccessToken.order_id == placed.order_id)
        )
        assert len(restricted.all()) == 3
    from aftercart.auth.service import count_live_tokens

    async with sessions() as session:
        # The fixture's client token only: the three page tokens are not the client's.
        assert await count_live_tokens(session, client_id=creds.client_id, up_to=100) == 1
