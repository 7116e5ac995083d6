"""Generating and advancing batches (Connect's Sandbox API,
https://docs.instacart.com/connect/api/sandbox/overview), over HTTP."""

import httpx
import pytest

from aftercart.fulfillment.rules import order_status
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_batch,
    create_shopper,
    event_names,
    events,
    insert_products,
    load_batch,
    load_order,
    picking,
)

Headers = dict[str, str]


async def _advance(
    http: httpx.AsyncClient, headers: Headers, batch_id: int, state: str | None = None
) -> httpx.Response:
    body = {"workflow_state": state} if state else None
    return await http.post(f"{SANDBOX}/batches/{batch_id}/advance", json=body, headers=headers)


# --- Generating ----------------------------------------------------------------------------------


async def test_a_new_batch_is_acknowledged_and_assigns_the_shopper(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    first, second = await arrange_order(sessions), await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    payload = {
        "shopper_id": str(shopper),
        "orders": [{"id": first.order_id, "user_id": first.user_id}, {"id": second.order_id}],
    }
    response = await http.post(f"{SANDBOX}/batches", json=payload, headers=client_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["workflow_state"] == "acknowledged"
    assert isinstance(body["id"], int)
    for arranged in (first, second):
        order = await load_order(sessions, arranged.order_id)
        assert (order.batch_id, order.shopper_id) == (body["id"], shopper)
        assert order_status(order.workflow_state) == "acknowledged"
        assert await event_names(sessions, arranged.order_id) == ["fulfillment.acknowledged"]
    batch = await load_batch(sessions, body["id"])
    assert (batch.batch_type, batch.shopper_id) == ("delivery", shopper)


async def test_a_batch_may_start_further_along(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions, service_type="pickup")
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(
        http, client_headers, shopper, arranged.order_id, workflow_state="picking"
    )
    assert response.json()["workflow_state"] == "picking"
    assert (await load_batch(sessions, response.json()["id"])).batch_type == "pickup"
    assert await event_names(sessions, arranged.order_id) == [
        "fulfillment.acknowledged",
        "fulfillment.picking",
    ]


async def test_shopper_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    for shopper in (12345, 0, 10**12):
        response = await create_batch(http, client_headers, shopper, arranged.order_id)
        assert_error(response, 400, "Shopper not found", 1001, "shopper_id")


async def test_orders_not_found_are_named_by_index(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(http, client_headers, shopper, arranged.order_id, "missing")
    assert_error(response, 400, "Order not found", 1001, "orders[1]")
    payload = {"shopper_id": shopper, "orders": [{"id": arranged.order_id, "user_id": "other"}]}
    response = await http.post(f"{SANDBOX}/batches", json=payload, headers=client_headers)
    assert_error(response, 400, "Order not found", 1001, "orders[0]")
    assert (await load_order(sessions, arranged.order_id)).batch_id is None


async def test_several_bad_orders_come_together(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(http, client_headers, shopper, "x", arranged.order_id, "y")
    error = response.json()["error"]
    assert error["code"] == 9999
    assert [e["meta"]["key"] for e in error["errors"]] == ["orders[0]", "orders[2]"]


@pytest.mark.parametrize("state", ["canceled", "acknowledged"])
async def test_canceled_or_already_batched_orders_are_unbatchable(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, state: str
) -> None:
    fresh = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    if state == "canceled":
        taken = await arrange_order(sessions, workflow_state="canceled")
    else:
        taken = await arrange_order(sessions)
        assert (await create_batch(http, client_headers, shopper, taken.order_id)).is_success
    response = await create_batch(http, client_headers, shopper, fresh.order_id, taken.order_id)
    assert_error(response, 400, "Orders unbatchable", 1001, "orders[1]")
    assert (await load_order(sessions, fresh.order_id)).batch_id is None


async def test_an_order_listed_twice_is_unbatchable(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(
        http, client_headers, shopper, arranged.order_id, arranged.order_id
    )
    assert_error(response, 400, "Orders unbatchable", 1001, "orders[1]")


async def test_the_batch_type_must_match_the_orders(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    delivery, pickup = (
        await arrange_order(sessions),
        await arrange_order(sessions, service_type="pickup"),
    )
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(
        http, client_headers, shopper, delivery.order_id, batch_type="pickup"
    )
    assert_error(response, 400, None, 1001, "batch_type")
    response = await create_batch(http, client_headers, shopper, delivery.order_id, pickup.order_id)
    assert_error(response, 400, None, 1001, "batch_type")
    response = await create_batch(
        http, client_headers, shopper, delivery.order_id, batch_type="delivery_only"
    )
    assert_error(
        response,
        400,
        "delivery_only doesn't match the service type of orders[0] (delivery)",
        1001,
        "batch_type",
    )


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"orders": [{"id": "x"}]}, "shopper_id"),
        ({"shopper_id": "abc", "orders": [{"id": "x"}]}, "shopper_id"),
        ({"shopper_id": 1}, "orders"),
        ({"shopper_id": 1, "orders": [{}]}, "orders[0].id"),
    ],
)
async def test_malformed_batch_requests(
    http: httpx.AsyncClient, client_headers: Headers, payload: dict[str, object], key: str
) -> None:
    response = await http.post(f"{SANDBOX}/batches", json=payload, headers=client_headers)
    assert_error(response, 400, None, 1001, key)


async def test_an_empty_order_list_is_blank(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(http, client_headers, shopper)
    assert_error(response, 400, "can't be blank", 1001, "orders")


@pytest.mark.parametrize("state", ["brand_new", "delivering_soon"])
async def test_a_batch_cannot_start_before_acknowledged_or_in_an_unknown_state(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, state: str
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(
        http, client_headers, shopper, arranged.order_id, workflow_state=state
    )
    assert_error(response, 400, None, 1001, "workflow_state")


async def test_internal_order_ids_with_the_header(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    headers = {**client_headers, "X-Treat-Ids-As-Internal": "true"}
    payload = {"shopper_id": shopper, "orders": [{"id": arranged.pk}]}
    response = await http.post(f"{SANDBOX}/batches", json=payload, headers=headers)
    assert response.status_code == 200
    assert (await load_order(sessions, arranged.order_id)).shopper_id == shopper


# --- Advancing -----------------------------------------------------------------------------------


async def test_advance_one_step_at_a_time_to_completed(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, workflow_state="acknowledged")
    seen = []
    for _ in range(6):
        response = await http.post(p.advance_url, headers=client_headers)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == p.batch_id
        seen.append(response.json()["workflow_state"])
    assert seen == [
        "picking",
        "verifying_replacements",
        "checkout",
        "receipt_sanity_check",
        "delivering",
        "completed",
    ]
    order = await load_order(sessions, p.order_id)
    assert order.workflow_state == "completed"
    assert order_status(order.workflow_state) == "delivered"
    assert order.delivered_at is not None
    assert await event_names(sessions, p.order_id) == [
        "fulfillment.acknowledged",
        "fulfillment.picking",
        "fulfillment.checkout",
        "fulfillment.delivering",
        "fulfillment.order_location",
        "fulfillment.order_location",
        "fulfillment.delivered",
    ]
    response = await http.post(p.advance_url, json={}, headers=client_headers)
    assert_error(response, 400, None, 1001, "workflow_state")


async def test_advance_straight_to_a_later_state_writes_every_steps_events(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    # A pickup batch now ends at staged (Connect's table); the runner batch delivers it.
    p = await picking(http, client_headers, sessions, service_type="pickup")
    response = await _advance(http, client_headers, p.batch_id, "staged")
    assert response.json() == {"id": p.batch_id, "workflow_state": "staged"}
    assert (await event_names(sessions, p.order_id))[2:] == [
        "fulfillment.checkout",
        "fulfillment.staged",
    ]


@pytest.mark.parametrize("state", ["picking", "acknowledged", "delivering", "nope"])
async def test_advance_only_forward_along_the_batchs_workflow(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, state: str
) -> None:
    p = await picking(http, client_headers, sessions, service_type="pickup")
    response = await _advance(http, client_headers, p.batch_id, state)
    assert_error(response, 400, None, 1001, "workflow_state")
    assert (await load_batch(sessions, p.batch_id)).workflow_state == "picking"


@pytest.mark.parametrize("batch_id", ["999999", "abc", "99999999999999"])
async def test_advance_an_unknown_batch(
    http: httpx.AsyncClient, client_headers: Headers, batch_id: str
) -> None:
    response = await http.post(f"{SANDBOX}/batches/{batch_id}/advance", headers=client_headers)
    assert_error(response, 404, "Resource not found", 4000)


async def test_leaving_picking_settles_untouched_items_and_pending_replacements(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    (replacement,) = await insert_products(sessions, 1)
    body = {"status": "replaced", "replacement_item": {"upc": replacement.upc}}
    await http.put(p.item_url("2"), json=body, headers=client_headers)
    await http.put(p.item_url("3"), json={"status": "to_refund"}, headers=client_headers)
    await _advance(http, client_headers, p.batch_id, "verifying_replacements")
    untouched = (await load_order(sessions, p.order_id)).items[0]
    assert untouched.shopper_status == "not_found"

    await _advance(http, client_headers, p.batch_id, "checkout")
    first, second, third = (await load_order(sessions, p.order_id)).items
    assert (first.shopper_status, first.delivered_count) == ("found", 2)
    assert (second.shopper_status, second.replacement_status) == ("replaced", "APPROVED")
    assert (third.shopper_status, third.delivered_count) == ("to_refund", 0)
    log = await events(sessions, p.order_id)
    assert [e.name for e in log[-2:]] == [
        "fulfillment.order_item_replacement_decision",
        "fulfillment.checkout",
    ]
    assert log[-2].metadata_["item"]["replacement_status"] == "APPROVED"
    checkout_items = log[-1].metadata_["items"]
    assert [i["status"] for i in checkout_items] == ["found", "replaced", "to_refund"]
    assert checkout_items[1]["delivered_item_upc"] == replacement.upc


async def test_canceled_orders_stay_behind(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    kept, dropped = await arrange_order(sessions), await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    response = await create_batch(http, client_headers, shopper, kept.order_id, dropped.order_id)
    batch_id = response.json()["id"]
    callback = f"{SANDBOX}/orders/{dropped.order_id}/callbacks"
    await http.post(callback, json={"event_name": "canceled"}, headers=client_headers)
    assert (await _advance(http, client_headers, batch_id, "completed")).is_success
    assert (await load_order(sessions, kept.order_id)).workflow_state == "completed"
    assert (await load_order(sessions, dropped.order_id)).workflow_state == "canceled"
    assert (await event_names(sessions, dropped.order_id))[-1] == "fulfillment.canceled"
