"""Simulated callbacks (Connect's Sandbox API,
https://docs.instacart.com/connect/api/sandbox/overview) and the shopper's chat messages, over HTTP.
"""

from datetime import timedelta

import httpx
import pytest

from aftercart.fulfillment.rules import order_status
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_shopper,
    events,
    load_order,
    picking,
)

Headers = dict[str, str]


def _url(order_id: str | int) -> str:
    return f"{SANDBOX}/orders/{order_id}/callbacks"


async def test_canceled_cancels_the_order(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    response = await http.post(
        _url(arranged.order_id), json={"event_name": "canceled"}, headers=client_headers
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    order = await load_order(sessions, arranged.order_id)
    assert order_status(order.workflow_state) == "canceled"
    assert order.cancellation_reason
    (event,) = await events(sessions, arranged.order_id)
    assert event.name == "fulfillment.canceled"
    assert event.metadata_["cancellation_reason"] == order.cancellation_reason


async def test_rescheduled_moves_the_window_by_a_day(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    before = await load_order(sessions, arranged.order_id)
    response = await http.post(
        _url(arranged.order_id), json={"event_name": "rescheduled"}, headers=client_headers
    )
    assert response.status_code == 200
    after = await load_order(sessions, arranged.order_id)
    assert after.rescheduled
    assert before.window_starts_at is not None
    assert before.window_ends_at is not None
    assert after.window_starts_at == before.window_starts_at + timedelta(days=1)
    assert after.window_ends_at == before.window_ends_at + timedelta(days=1)
    assert after.workflow_state == "brand_new"
    (event,) = await events(sessions, arranged.order_id)
    assert event.name == "fulfillment.rescheduled"
    assert event.metadata_["window_starts_at"].endswith("Z")


async def test_late_delivery_marks_the_order_late(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    headers = {**client_headers, "X-Treat-Ids-As-Internal": "true"}
    response = await http.post(_url(p.pk), json={"event_name": "late_delivery"}, headers=headers)
    assert response.status_code == 200
    order = await load_order(sessions, p.order_id)
    assert (order.late, order.workflow_state) == (True, "picking")
    assert (await events(sessions, p.order_id))[-1].name == "fulfillment.late_delivery"
    # Once per order: a second call (a retry) succeeds and sends nothing.
    again = await http.post(_url(p.pk), json={"event_name": "late_delivery"}, headers=headers)
    assert again.json() == {"success": True}
    late = [e for e in await events(sessions, p.order_id) if e.name == "fulfillment.late_delivery"]
    assert len(late) == 1


async def test_unknown_order(http: httpx.AsyncClient, client_headers: Headers) -> None:
    response = await http.post(
        _url("nope"), json={"event_name": "canceled"}, headers=client_headers
    )
    assert_error(response, 404, "Resource not found", 4000)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"event_name": "delivered"}, "is not included in the list"),
        ({}, "can't be blank"),
        (None, "can't be blank"),
    ],
)
async def test_bad_event_names(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    body: dict[str, str] | None,
    message: str,
) -> None:
    arranged = await arrange_order(sessions)
    response = await http.post(_url(arranged.order_id), json=body, headers=client_headers)
    assert_error(response, 400, message, 1001, "event_name")


async def test_a_finished_order_takes_no_more_callbacks(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    canceled = await arrange_order(sessions, workflow_state="canceled")
    response = await http.post(
        _url(canceled.order_id), json={"event_name": "canceled"}, headers=client_headers
    )
    assert_error(response, 400, "Incompatible order status", 3003)
    p = await picking(http, client_headers, sessions, workflow_state="completed")
    response = await http.post(
        _url(p.order_id), json={"event_name": "late_delivery"}, headers=client_headers
    )
    assert_error(response, 400, "Incompatible order status", 3003)


# --- Chat ----------------------------------------------------------------------------------------


async def test_the_shopper_sends_a_message(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages"
    response = await http.post(
        url, json={"body": "  Out of oat milk, almond OK?  "}, headers=client_headers
    )
    assert response.status_code == 200
    message = response.json()
    assert set(message) == {"id", "sender", "body", "created_at"}
    assert (message["sender"], message["body"]) == ("shopper", "Out of oat milk, almond OK?")
    assert isinstance(message["id"], str)
    event = (await events(sessions, p.order_id))[-1]
    assert event.name == "chat_message_created"
    assert event.metadata_["message"] == message


@pytest.mark.parametrize(
    ("body", "message"), [({"body": "   "}, "can't be blank"), ({"body": "x" * 1001}, None)]
)
async def test_bad_messages(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    body: dict[str, str],
    message: str | None,
) -> None:
    p = await picking(http, client_headers, sessions)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages"
    response = await http.post(url, json=body, headers=client_headers)
    assert_error(response, 400, message, 1001, "body")


async def test_only_the_orders_shopper_may_chat(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    other = await create_shopper(http, client_headers)
    url = f"{SANDBOX}/shoppers/{other}/orders/{p.order_id}/messages"
    response = await http.post(url, json={"body": "hi"}, headers=client_headers)
    assert_error(response, 403, None, None)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/nope/messages"
    response = await http.post(url, json={"body": "hi"}, headers=client_headers)
    assert_error(response, 404, "Resource not found", 4000)
