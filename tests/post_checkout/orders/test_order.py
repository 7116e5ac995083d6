"""GET /v2/post_checkout/orders/{order_id}
(docs.instacart.com/connect/api/post_checkout/order/get_order)."""

from datetime import datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from tests.post_checkout.helpers import BASE, arrange

Sessions = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize(
    ("service_type", "state", "wire"),
    [
        ("delivery", "brand_new", "brand_new"),
        ("delivery", "verifying_replacements", "verifying_replacements"),
        ("delivery", "receipt_sanity_check", "checkout"),
        ("delivery", "delivering", "delivering"),
        ("delivery", "completed", "delivered"),
        ("delivery", "canceled", "canceled"),
        ("pickup", "bags_check", "bags_check"),
        ("pickup", "staged", "ready_for_pickup"),
        ("pickup", "completed", "delivered"),
    ],
)
async def test_the_order(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    service_type: str,
    state: str,
    wire: str,
) -> None:
    order = await arrange(http, sessions, creds, workflow_state=state, service_type=service_type)
    response = await http.get(f"{BASE}/orders/{order.order_id}", headers=order.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "created_at",
        "fulfillment_type",
        "workflow_state",
        "window_starts_at",
        "window_ends_at",
    }
    assert (body["id"], body["fulfillment_type"], body["workflow_state"]) == (
        order.order_id,
        service_type,
        wire,
    )
    starts = datetime.fromisoformat(body["window_starts_at"])
    assert (
        datetime.fromisoformat(body["window_ends_at"])
        > starts
        > datetime.fromisoformat(body["created_at"])
    )


async def test_an_order_without_a_window_leaves_it_out(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, window_starts_at=None, window_ends_at=None)
    body = (await http.get(f"{BASE}/orders/{order.order_id}", headers=order.headers)).json()
    assert "window_starts_at" not in body
    assert "window_ends_at" not in body


async def test_errors(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    mine = await arrange(http, sessions, creds)
    theirs = await arrange(http, sessions, creds)
    other = await http.get(f"{BASE}/orders/{theirs.order_id}", headers=mine.headers)
    missing = await http.get(f"{BASE}/orders/nope", headers=mine.headers)
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert missing.json() == {"error": "Order not found", "status": 404}
    anonymous = await http.get(f"{BASE}/orders/{mine.order_id}")
    assert anonymous.json() == {"error": "An access token is required", "status": 401}
