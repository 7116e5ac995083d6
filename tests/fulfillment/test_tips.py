"""PUT /v2/fulfillment/users/{user_id}/orders/{order_id}/tip
(docs.instacart.com/connect/api/fulfillment/delivery/update_tip) and its Tip adjustment callback."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from tests.fulfillment.changes_helpers import delivered_callbacks, set_state
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    events_of,
    order_row,
    place_order,
)
from tests.webhooks.helpers import payload_errors, subscribe

ORDER = "/v2/fulfillment/users/user-1/orders/o-1"
TIP = ORDER + "/tip"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def shop(sessions: Sessions) -> Shop:
    return await arrange_shop(sessions, products=2)


@pytest.fixture
async def order(http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop) -> None:
    """o-1 for delivery, with an initial tip of 500."""
    await place_order(http, client_headers, shop, "user-1", "o-1")


@pytest.mark.usefixtures("order")
async def test_a_delivered_orders_tip_changes_and_the_callback_is_sent(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: Sessions,
    creds: IssuedCredentials,
) -> None:
    await subscribe(sessions, creds.client_id)
    await set_state(sessions, "o-1", "completed")
    response = await http.put(TIP, json={"tip_amount_cents": 800}, headers=client_headers)
    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["id"], order["status"]) == ("o-1", "delivered")
    assert order["order_url"].startswith("http://testserver/orders/o-1/status?token=")
    assert order == (await http.get(ORDER, headers=client_headers)).json()
    row = await order_row(sessions, "o-1")
    assert (row.initial_tip_cents, row.tip_amount_cents) == (500, 800)
    assert row.tip_adjusted_at is not None

    again = await http.put(TIP, json={"tip_amount_cents": 650}, headers=client_headers)
    assert again.status_code == 200
    same = await http.put(TIP, json={"tip_amount_cents": 650}, headers=client_headers)
    assert same.status_code == 200
    assert (await order_row(sessions, "o-1")).tip_amount_cents == 650

    bodies = await delivered_callbacks(sessions, names.TIP_ADJUSTMENT)
    assert [
        (b["event_metadata"]["previous_tip_amount_cents"], b["event_metadata"]["tip_amount_cents"])
        for b in bodies
    ] == [(500, 800), (800, 650)]
    for body in bodies:
        assert payload_errors(body) == []
        assert body["event_metadata"]["order_id"] == "o-1"
        assert body["event_metadata"]["user_id"] == "user-1"
        assert body["event_metadata"]["status"] == "delivered"


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize(
    "state", ["brand_new", "acknowledged", "picking", "checkout", "delivering", "canceled"]
)
async def test_before_delivery_it_is_incompatible_order_status(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions, state: str
) -> None:
    await set_state(sessions, "o-1", state)
    response = await http.put(TIP, json={"tip_amount_cents": 800}, headers=client_headers)
    body = assert_error(response, 400, 3003)
    assert body["error"]["message"] == "Incompatible order status"
    assert (await order_row(sessions, "o-1")).tip_amount_cents is None
    assert names.TIP_ADJUSTMENT not in [name for name, _ in await events_of(sessions, "o-1")]


async def test_a_pickup_order_has_no_tip(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, sessions: Sessions
) -> None:
    await place_order(http, client_headers, shop, "user-1", "o-1", service_type="pickup")
    await set_state(sessions, "o-1", "completed")
    response = await http.put(TIP, json={"tip_amount_cents": 800}, headers=client_headers)
    assert_error(response, 400, 1001, "tip_amount_cents")


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "can't be blank"),
        ({"tip_amount_cents": -1}, "must be greater than or equal to 0"),
        ({"tip_amount_cents": "lots"}, "is invalid"),
        ({"tip_amount_cents": 100_000_001}, "is invalid"),
    ],
)
async def test_a_bad_amount_is_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: Sessions,
    body: dict[str, object],
    message: str,
) -> None:
    await set_state(sessions, "o-1", "completed")
    response = await http.put(TIP, json=body, headers=client_headers)
    error = assert_error(response, 400, 1001, "tip_amount_cents")
    assert error["error"]["message"] == message
    assert (await order_row(sessions, "o-1")).tip_amount_cents is None


@pytest.mark.usefixtures("order")
async def test_unknown_order_and_user(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"tip_amount_cents": 100}
    base = "/v2/fulfillment/users"
    assert_error(
        await http.put(f"{base}/user-1/orders/nope/tip", json=body, headers=client_headers),
        404,
        4000,
    )
    assert_error(
        await http.put(f"{base}/nobody/orders/o-1/tip", json=body, headers=client_headers),
        400,
        1001,
        "user_id",
    )
