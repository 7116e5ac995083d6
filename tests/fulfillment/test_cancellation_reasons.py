"""``cancellation_reason`` on every cancel path (docs.instacart.com/connect/api/fulfillment/
delivery/cancel_order and the sandbox's simulated callbacks), and the Canceled callback."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from aftercart.fulfillment import rules
from tests.fulfillment.changes_helpers import delivered_callbacks
from tests.fulfillment.helpers import Shop, arrange_shop, order_row, place_order
from tests.webhooks.helpers import asyncapi, payload_errors, subscribe

ORDER = "/v2/fulfillment/users/user-1/orders/o-1"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def order(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    shop: Shop = await arrange_shop(sessions, products=2)
    await place_order(http, client_headers, shop, "user-1", "o-1")


def test_the_values_are_connects_and_the_asyncapi_documents_them() -> None:
    values = [reason.value for reason in rules.CancellationReason]
    assert values == [
        "customer_driven",
        "instacart_driven",
        "retailer_driven",
        "shopper_driven",
        "unbatchable",
        "other",
    ]
    assert asyncapi()["components"]["schemas"]["CancellationReason"]["enum"] == values


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize(
    ("how", "expected"),
    [("api", "retailer_driven"), ("sandbox", "instacart_driven")],
)
async def test_each_cancel_path_records_its_reason(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: Sessions,
    creds: IssuedCredentials,
    how: str,
    expected: str,
) -> None:
    await subscribe(sessions, creds.client_id)
    if how == "api":
        response = await http.post(f"{ORDER}/cancel", headers=client_headers)
        assert response.json()["cancellation_reason"] == expected
    else:
        response = await http.post(
            "/v2/fulfillment_sandbox/orders/o-1/callbacks",
            json={"event_name": "canceled"},
            headers=client_headers,
        )
    assert response.status_code == 200, response.text
    assert (await order_row(sessions, "o-1")).cancellation_reason == expected
    fetched = (await http.get(ORDER, headers=client_headers)).json()
    assert (fetched["status"], fetched["cancellation_reason"]) == ("canceled", expected)

    [body] = await delivered_callbacks(sessions, names.CANCELED)
    assert body["event_metadata"]["cancellation_reason"] == expected
    assert body["event_metadata"]["status"] == "canceled"
    assert payload_errors(body) == []


def test_the_asyncapi_refuses_free_text() -> None:
    body = {
        "event_id": 1,
        "event_name": names.CANCELED,
        "event_timestamp": "2026-12-02T10:00:00Z",
        "event_metadata": {
            "order_id": "o-1",
            "user_id": "u",
            "location_code": "s",
            "status": "canceled",
            "cancellation_reason": "Canceled by the retailer",
        },
    }
    assert payload_errors(body) != []
