"""Dispatch last-mile orders in one call (docs.instacart.com/connect/api/fulfillment/lastmile/
create_order_single_call and its update, stage and cancel_order_dispatch pages)."""

from datetime import date, datetime, timedelta

import httpx
import pytest

from aftercart.events import names
from aftercart.fulfillment import geo
from tests.lastmile.helpers import (
    Headers,
    Sessions,
    assert_error,
    assert_events_documented,
    create,
    dispatch_body,
    load,
    set_capacity,
    slot_starts,
    world,
)
from tests.sandbox.helpers import event_names

ORDERS = "/v2/fulfillment/lastmile/orders"
NOT_AVAILABLE = "Requested delivery window not available at this store"


async def _create(
    http: httpx.AsyncClient, headers: Headers, body: dict[str, object]
) -> httpx.Response:
    return await http.post(ORDERS, json=body, headers=headers)


async def test_create_books_the_requested_window_and_echoes_metadata(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    start = (await slot_starts(http, client_headers, w))[0]
    body = dispatch_body(w, start, hours=2, metadata={"pos_ticket": "A-77"})
    response = await _create(http, client_headers, body)
    assert response.status_code == 200, response.text
    created = response.json()
    assert (created["status"], created["metadata"]) == ("brand_new", {"pos_ticket": "A-77"})
    details = created["fulfillment_details"]
    assert details["window_starts_at"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    order, row = await load(sessions, body["order_id"])
    assert (order.user_id, row.dispatch, row.fell_back) == ("lastmile:+14155550123", True, False)
    assert [e.name for e in await assert_events_documented(sessions, body["order_id"])] == [
        names.BRAND_NEW
    ]


@pytest.mark.parametrize(
    ("minutes", "hours", "key"),
    [(30, 1, "start_at"), (0, 0, "end_at")],
)
async def test_the_window_is_an_hour_or_more_on_the_hour(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    minutes: int,
    hours: int,
    key: str,
) -> None:
    w = await world(sessions)
    start = (await slot_starts(http, client_headers, w))[0] + timedelta(minutes=minutes)
    body = dispatch_body(w, start, hours=hours)
    response = await _create(http, client_headers, body)
    assert_error(
        response, 400, "must be at least one hour long and start and end on the hour", 1001, key
    )
    assert await event_names(sessions, body["order_id"]) == []


async def test_a_window_outside_the_stores_hours_is_not_available(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    last = (await slot_starts(http, client_headers, w))[-1]
    response = await _create(http, client_headers, dispatch_body(w, last + timedelta(days=30)))
    assert_error(response, 400, NOT_AVAILABLE, 1001, "start_at")


async def test_a_full_window_fails_or_falls_back_to_the_same_day(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    starts = await slot_starts(http, client_headers, w)
    zone = geo.zone_for_postal_code("94105")
    days: dict[date, list[datetime]] = {}
    for start in starts:
        days.setdefault(start.astimezone(zone).date(), []).append(start)
    # The last day the listing reaches may hold a single window, depending on the time of day.
    same_day = [day for day in days.values() if len(day) > 1][-1]
    wanted, other = same_day[-1], same_day[0]
    await set_capacity(sessions, wanted, 0)
    response = await _create(http, client_headers, dispatch_body(w, wanted))
    assert_error(response, 400, NOT_AVAILABLE, 1001, "start_at")
    body = dispatch_body(w, wanted, fallback_to_soonest_sameday=True)
    response = await _create(http, client_headers, body)
    assert response.status_code == 200, response.text
    assert response.json()["fulfillment_details"]["window_starts_at"].startswith(
        other.strftime("%Y-%m-%dT%H:%M")
    )
    assert (await load(sessions, body["order_id"]))[1].fell_back is True
    for start in same_day:
        await set_capacity(sessions, start, 0)
    response = await _create(
        http, client_headers, dispatch_body(w, wanted, fallback_to_soonest_sameday=True)
    )
    assert_error(response, 400, "No delivery windows currently available", 1001, "start_at")


@pytest.mark.parametrize(
    ("overrides", "message", "key"),
    [
        ({"last_name": "O%Brien"}, "Invalid last name", "last_name"),
        ({"user_phone": "4155550123"}, "Invalid phone number", "user_phone"),
        ({"alcoholic": True}, "Alcohol delivery not enabled for this store", "alcoholic"),
        ({"location_code": "nowhere"}, "Store not found", "location_code"),
    ],
)
async def test_create_refuses_what_the_changelog_lists(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    overrides: dict[str, object],
    message: str,
    key: str,
) -> None:
    w = await world(sessions)
    start = (await slot_starts(http, client_headers, w))[0]
    body = dispatch_body(w, start, **overrides)
    assert_error(await _create(http, client_headers, body), 400, message, 1001, key)
    assert await event_names(sessions, body["order_id"]) == []


async def test_a_store_that_does_not_deliver_is_closed_for_delivery(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    open_store = await world(sessions)
    start = (await slot_starts(http, client_headers, open_store))[0]
    closed = await world(sessions, delivery=False)
    response = await _create(http, client_headers, dispatch_body(closed, start))
    assert_error(response, 400, "Store is currently closed for delivery", 1001, "location_code")


async def test_an_order_no_shopper_can_reach_is_canceled_unbatchable(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    start = (await slot_starts(http, client_headers, w))[0]
    far = {"address_line_1": "1 Main St", "postal_code": "10001"}
    body = dispatch_body(w, start, address=far)
    response = await _create(http, client_headers, body)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "canceled",
        "unbatchable",
    )
    found = await assert_events_documented(sessions, body["order_id"])
    assert [e.name for e in found] == [names.BRAND_NEW, names.CANCELED]
    assert found[-1].metadata_["cancellation_reason"] == "unbatchable"


async def test_update_stage_and_cancel_follow_the_status(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    starts = await slot_starts(http, client_headers, w)
    body = dispatch_body(w, starts[0])
    assert (await _create(http, client_headers, body)).status_code == 200
    url = f"{ORDERS}/{body['order_id']}"
    response = await http.put(
        url,
        json={"bags_count": 5, "metadata": {"a": 1}, "last_name": "smith"},
        headers=client_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["metadata"] == {"a": 1}
    _, row = await load(sessions, body["order_id"])
    assert (row.bags_count, row.last_name) == (5, "Smith")
    response = await http.put(url, json={"start_at": starts[1].isoformat()}, headers=client_headers)
    assert_error(response, 400, "can't be blank", 1001, "end_at")
    response = await http.put(url, json={"user_phone": "555"}, headers=client_headers)
    assert_error(response, 400, "Invalid phone number", 1001, "user_phone")
    staged = await http.post(f"{url}/staged", json={"bag_label": "X-1"}, headers=client_headers)
    assert staged.status_code == 200, staged.text
    assert staged.json()["status"] == "staging"
    for response in (
        await http.put(url, json={"bags_count": 1}, headers=client_headers),
        await http.post(f"{url}/cancel", headers=client_headers),
        await http.post(f"{url}/staged", json={}, headers=client_headers),
    ):
        assert_error(response, 400, "Incompatible order status", 3003, None)
    await assert_events_documented(sessions, body["order_id"])


async def test_cancel_while_brand_new(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    body = dispatch_body(w, (await slot_starts(http, client_headers, w))[0])
    await _create(http, client_headers, body)
    response = await http.post(f"{ORDERS}/{body['order_id']}/cancel", headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.json()["cancellation_reason"] == "retailer_driven"
    assert await event_names(sessions, body["order_id"]) == [names.BRAND_NEW, names.CANCELED]
    await assert_events_documented(sessions, body["order_id"])


async def test_the_dispatch_endpoints_take_only_dispatch_orders(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    message = "This endpoint works only with dispatch last mile delivery orders"
    for response in (
        await http.post(f"{ORDERS}/{created['id']}/cancel", headers=client_headers),
        await http.put(f"{ORDERS}/{created['id']}", json={}, headers=client_headers),
        await http.post(f"{ORDERS}/{created['id']}/staged", json={}, headers=client_headers),
    ):
        assert_error(response, 400, message, 1001, "order_id")
    response = await http.post(f"{ORDERS}/missing/cancel", headers=client_headers)
    assert_error(response, 404, "Resource not found", 4000, None)
