"""Customer missing (Connect's "Event callbacks",
https://docs.instacart.com/connect/api/fulfillment/communications/event_callbacks): the
delivering shopper cannot find the customer, signalled by advancing the batch with
``customer_missing``, as ``unable_to_find_customer`` is for a pickup runner."""

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from tests.post_checkout.helpers import BASE
from tests.post_checkout.orders.helpers import Sessions, Trip, one_valid, trip
from tests.sandbox.helpers import assert_error, event_names

Headers = dict[str, str]
SIGNAL = {"workflow_state": "customer_missing"}


@pytest.fixture
async def delivering(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> Trip:
    return await trip(http, sessions, creds, client_headers, workflow_state="delivering")


async def test_the_shopper_at_the_door_cannot_find_the_customer(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, delivering: Trip
) -> None:
    o = delivering.order
    response = await http.post(delivering.advance, json=SIGNAL, headers=client_headers)
    assert response.json() == {"id": delivering.batch_id, "workflow_state": "delivering"}
    callback = await one_valid(sessions, o.order_id, names.CUSTOMER_MISSING)
    state_change = {
        "batch_id": delivering.batch_id,
        "shopper_id": delivering.shopper_id,
        "workflow_state": "delivering",
        "status": "delivering",
    }
    assert state_change.items() <= callback["event_metadata"].items()
    messages = await http.get(f"{BASE}/orders/{o.order_id}/order_messages", headers=o.headers)
    kinds = [m["type"] for m in messages.json()["lifecycle_messages"]]
    assert kinds[-2:] == ["delivering", "customer_missing"]
    # The order is still delivering: the shopper may find the customer after all.
    done = await http.post(delivering.advance, headers=client_headers)
    assert done.json()["workflow_state"] == "completed", done.text


@pytest.mark.parametrize("workflow_state", ["picking", "completed"])
async def test_customer_missing_needs_a_delivering_batch(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
    workflow_state: str,
) -> None:
    t = await trip(http, sessions, creds, client_headers, workflow_state=workflow_state)
    before = await event_names(sessions, t.order.order_id)
    response = await http.post(t.advance, json=SIGNAL, headers=client_headers)
    assert_error(response, 400, None, 1001, "workflow_state")
    assert "delivering" in response.json()["error"]["message"]
    assert await event_names(sessions, t.order.order_id) == before
