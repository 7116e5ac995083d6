"""The sandbox's ``delivery_only`` batch for staged last-mile orders (Connect's "Generate a
batch" and "Advance the batch status" pages) and the last-mile callbacks it writes."""

import httpx

from aftercart.events import names
from tests.lastmile.helpers import (
    SANDBOX,
    Headers,
    Sessions,
    assert_error,
    assert_events_documented,
    create,
    load,
    stage,
    world,
)


async def _shopper(http: httpx.AsyncClient, headers: Headers) -> int:
    response = await http.post(f"{SANDBOX}/shoppers", json={}, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


async def _batch(
    http: httpx.AsyncClient, headers: Headers, shopper: int, order_id: str, **body: object
) -> httpx.Response:
    payload = {"shopper_id": shopper, "orders": [{"id": order_id}], **body}
    return await http.post(f"{SANDBOX}/batches", json=payload, headers=headers)


async def test_a_staged_order_is_delivered_with_every_last_mile_callback(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    assert (await stage(http, client_headers, w, created["id"])).status_code == 200
    shopper = await _shopper(http, client_headers)
    response = await _batch(
        http, client_headers, shopper, created["id"], batch_type="delivery_only"
    )
    assert response.json()["workflow_state"] == "acknowledged", response.text
    batch_id = response.json()["id"]
    states = []
    for _ in range(5):
        advanced = await http.post(f"{SANDBOX}/batches/{batch_id}/advance", headers=client_headers)
        assert advanced.status_code == 200, advanced.text
        states.append(advanced.json()["workflow_state"])
    assert states == [
        "acknowledged_for_delivery",
        "at_store",
        "bags_verified",
        "delivering",
        "completed",
    ]
    found = await assert_events_documented(sessions, created["id"])
    lifecycle = [event.name for event in found if event.name != names.ORDER_LOCATION]
    assert lifecycle == [
        names.BRAND_NEW,
        names.STAGED,
        names.ACKNOWLEDGED,
        names.ACKNOWLEDGED_FOR_DELIVERY,
        names.AT_STORE_ETA,
        names.AT_STORE,
        names.BAGS_VERIFIED,
        names.DELIVERING,
        names.ARRIVAL_AT_CUSTOMER,
        names.DELIVERED,
    ]
    assert names.ORDER_LOCATION in {event.name for event in found}
    eta = next(event for event in found if event.name == names.AT_STORE_ETA)
    assert eta.metadata_["bag_label"] == "DOE-1"
    assert eta.metadata_["eta"]
    order, _ = await load(sessions, created["id"])
    assert (order.workflow_state, order.delivered_at is not None) == ("completed", True)
    got = await http.get(
        f"/v2/fulfillment/users/{w.user_id}/orders/{created['id']}", headers=client_headers
    )
    assert got.json()["status"] == "delivered"


async def test_the_batch_type_defaults_from_the_order_and_must_fit_it(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    shopper = await _shopper(http, client_headers)
    response = await _batch(http, client_headers, shopper, created["id"])
    assert_error(response, 400, "Orders unbatchable", 1001, "orders[0]")
    await stage(http, client_headers, w, created["id"])
    response = await _batch(http, client_headers, shopper, created["id"], batch_type="delivery")
    assert_error(
        response,
        400,
        "delivery doesn't match the service type of orders[0] (last_mile)",
        1001,
        "batch_type",
    )
    response = await _batch(http, client_headers, shopper, created["id"])
    assert response.status_code == 200, response.text
    response = await _batch(http, client_headers, shopper, created["id"])
    assert_error(response, 400, "Orders unbatchable", 1001, "orders[0]")


async def _advanced_from(
    http: httpx.AsyncClient, headers: Headers, sessions: Sessions, state: str, target: str
) -> tuple[str, httpx.Response]:
    """A staged last-mile order whose new batch jumps to ``state`` and is then advanced with
    ``{"workflow_state": target}``: the order's id and that answer."""
    w = await world(sessions)
    created = await create(http, headers, w)
    await stage(http, headers, w, created["id"])
    shopper = await _shopper(http, headers)
    response = await _batch(http, headers, shopper, created["id"], workflow_state=state)
    assert response.json()["workflow_state"] == state, response.text
    advanced = await http.post(
        f"{SANDBOX}/batches/{response.json()['id']}/advance",
        json={"workflow_state": target},
        headers=headers,
    )
    return created["id"], advanced


async def test_a_batch_may_jump_to_a_later_state(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    _, advanced = await _advanced_from(http, client_headers, sessions, "at_store", "picking")
    assert_error(advanced, 400, "is not a state of a delivery_only batch", 1001, "workflow_state")


async def test_a_last_mile_shopper_may_signal_customer_missing_while_delivering(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    order_id, advanced = await _advanced_from(
        http, client_headers, sessions, "delivering", "customer_missing"
    )
    assert advanced.json()["workflow_state"] == "delivering", advanced.text
    found = await assert_events_documented(sessions, order_id)
    [missing] = [event for event in found if event.name == names.CUSTOMER_MISSING]
    assert missing.metadata_["bag_label"] == "DOE-1"
