"""Updating a last-mile order made with the user API. Its own page's path could not be read, so
the update is ``PUT /v2/fulfillment/users/{user_id}/orders/{order_id}``, Connect's "Update an
order", which takes any order the user API made while it is ``brand_new``."""

from typing import Any

import httpx

from aftercart.events import names
from tests.lastmile.helpers import (
    FULFILLMENT,
    Headers,
    Sessions,
    World,
    assert_error,
    assert_events_documented,
    create,
    load,
    options,
    stage,
    world,
)


async def _hold(http: httpx.AsyncClient, headers: Headers, w: World, *, index: int) -> int:
    option = (await options(http, headers, w))[index]
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/service_options/{option['id']}/reserve", headers=headers
    )
    assert response.status_code == 200, response.text
    return int(response.json()["service_option_hold"]["id"])


async def _update(
    http: httpx.AsyncClient, headers: Headers, w: World, order_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await http.put(
        f"{FULFILLMENT}/users/{w.user_id}/orders/{order_id}", json=body, headers=headers
    )


async def test_a_brand_new_last_mile_order_takes_a_new_slot_tip_and_instructions(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    before, _ = await load(sessions, created["id"])
    later = await _hold(http, client_headers, w, index=1)
    body = {
        "service_option_hold_id": later,
        "initial_tip_cents": 500,
        "special_instructions": "Leave it with the doorman",
        "items": [],
    }
    response = await _update(http, client_headers, w, created["id"], body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "brand_new"
    order, details = await load(sessions, created["id"])
    assert order.window_starts_at is not None
    assert before.window_starts_at is not None
    assert order.window_starts_at > before.window_starts_at
    assert (
        answer["fulfillment_details"]["window_starts_at"]
        != (created["fulfillment_details"]["window_starts_at"])
    )
    assert (order.initial_tip_cents, order.special_instructions) == (
        500,
        "Leave it with the doorman",
    )
    assert (order.service_type, details.bags_count, details.bag_label) == ("last_mile", 3, "DOE-1")
    found = await assert_events_documented(sessions, created["id"])
    assert [event.name for event in found] == [names.BRAND_NEW, names.ORDER_UPDATED]


async def test_a_delivery_hold_cannot_move_a_last_mile_order(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    option = (await options(http, client_headers, w, "delivery"))[0]
    reserved = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/service_options/{option['id']}/reserve",
        headers=client_headers,
    )
    assert reserved.status_code == 200, reserved.text
    delivery_hold = reserved.json()["service_option_hold"]["id"]
    response = await _update(
        http,
        client_headers,
        w,
        created["id"],
        {"service_option_hold_id": delivery_hold, "items": []},
    )
    assert response.status_code == 400, response.text
    order, _ = await load(sessions, created["id"])
    assert order.initial_tip_cents in (None, 0)
    found = await assert_events_documented(sessions, created["id"])
    assert [event.name for event in found] == [names.BRAND_NEW]


async def test_a_staged_last_mile_order_can_no_longer_be_updated(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    staged = await stage(http, client_headers, w, created["id"], bags_count=3)
    assert staged.status_code == 200, staged.text
    response = await _update(
        http, client_headers, w, created["id"], {"initial_tip_cents": 100, "items": []}
    )
    assert_error(response, 400, "Incompatible order status", 3003, None)


async def test_a_last_mile_update_takes_no_items(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    item = {"line_num": "1", "count": 1, "item": {"upc": "012345678905"}}
    response = await _update(http, client_headers, w, created["id"], {"items": [item]})
    assert_error(response, 400, "must be blank for a last mile delivery order", 1001, "items")
    found = await assert_events_documented(sessions, created["id"])
    assert [event.name for event in found] == [names.BRAND_NEW]
