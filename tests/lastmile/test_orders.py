"""Last-mile orders through the fulfillment API (Connect's "Create a last mile delivery order"
and "Stage a last mile delivery order", docs.instacart.com/connect/api/fulfillment/last_mile/)."""

import httpx
import pytest

from aftercart.events import names
from tests import factories
from tests.lastmile.helpers import (
    FULFILLMENT,
    Headers,
    Sessions,
    assert_error,
    assert_events_documented,
    create,
    hold,
    load,
    options,
    order_body,
    stage,
    world,
)
from tests.sandbox.helpers import event_names

NOT_LAST_MILE = "This endpoint works only with last mile delivery orders"


async def test_last_mile_stores_are_the_stores_that_deliver(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    delivering = await world(sessions)
    pickup_only = await world(sessions, delivery=False, latitude=37.7937)
    body = {"find_by": {"address_line_1": "500 Howard St", "postal_code": "94105"}}
    response = await http.post(f"{FULFILLMENT}/stores/last_mile", json=body, headers=client_headers)
    assert response.status_code == 200
    codes = [store["location_code"] for store in response.json()["stores"]]
    assert delivering.location_code in codes
    assert pickup_only.location_code not in codes
    response = await http.post(
        f"{FULFILLMENT}/stores/last_mile",
        json={"find_by": {"postal_code": "94105"}},
        headers=client_headers,
    )
    assert_error(response, 400, "can't be blank", 1001, "find_by.address_line_1")


async def test_last_mile_slots_are_one_hour_windows(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    found = await options(http, client_headers, w)
    assert found
    for option in found:
        assert option["service_type"] == "last_mile"
        assert option["window"]["start_at"][14:] == option["window"]["end_at"][14:]
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/service_options/cart/last_mile",
        json={"location_code": "nowhere"},
        headers=client_headers,
    )
    assert_error(response, 400, "Store not found", 1001, "location_code")


async def test_create_answers_the_order_and_writes_brand_new(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    assert created["status"] == "brand_new"
    assert created["items"] == []
    assert created["fulfillment_details"]["store_location"] == w.location_code
    assert created["fulfillment_details"]["window_starts_at"] is not None
    order, details = await load(sessions, created["id"])
    assert (order.service_type, order.customer["first_name"]) == ("last_mile", "Jane")
    assert (details.items_count, details.bags_count, details.bag_label) == (12, 3, "DOE-1")
    [event] = await assert_events_documented(sessions, created["id"])
    assert event.name == names.BRAND_NEW
    assert event.metadata_["service_type"] == "last_mile"
    got = await http.get(
        f"{FULFILLMENT}/users/{w.user_id}/orders/{created['id']}", headers=client_headers
    )
    assert got.json()["status"] == "brand_new"


@pytest.mark.parametrize(
    ("overrides", "message", "key"),
    [
        ({"last_name": "Doe<script>"}, "Invalid last name", "last_name"),
        ({"first_name": "  "}, "Invalid first name", "first_name"),
        ({"user_phone": "(415) 555-0123"}, "Invalid phone number", "user_phone"),
        ({"alcoholic": True}, "Alcohol delivery not enabled for this store", "alcoholic"),
        (
            {"service_option_hold_id": 999999},
            "Service option hold not found",
            "service_option_hold_id",
        ),
    ],
)
async def test_create_refuses_bad_orders_and_creates_nothing(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    overrides: dict[str, object],
    message: str,
    key: str,
) -> None:
    w = await world(sessions)
    body = order_body(w, await hold(http, client_headers, w), **overrides)
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/orders/last_mile", json=body, headers=client_headers
    )
    assert_error(response, 400, message, 1001, key)
    assert await event_names(sessions, body["order_id"]) == []


async def test_create_needs_the_packed_order_and_a_last_mile_hold(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    body = order_body(w, await hold(http, client_headers, w))
    del body["items_count"]
    url = f"{FULFILLMENT}/users/{w.user_id}/orders/last_mile"
    response = await http.post(url, json=body, headers=client_headers)
    assert response.status_code == 400
    assert response.json()["meta"]["key"] == "items_count"
    delivery_hold = await hold(http, client_headers, w, service="delivery")
    response = await http.post(url, json=order_body(w, delivery_hold), headers=client_headers)
    assert_error(response, 400, "is for delivery, not last_mile", 1001, "service_option_hold_id")
    taken = await create(http, client_headers, w)
    again = order_body(w, await hold(http, client_headers, w), order_id=taken["id"])
    response = await http.post(url, json=again, headers=client_headers)
    assert_error(response, 400, "has already been taken", 1001, "order_id")


async def test_staging_stages_and_writes_the_staged_callback(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    response = await stage(
        http, client_headers, w, created["id"], bags_count=4, bag_scan_codes=["B-1", "B-2"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "staging"
    order, details = await load(sessions, created["id"])
    assert order.workflow_state == "staged_for_delivery"
    assert (details.bags_count, details.bag_scan_codes, details.items_count) == (
        4,
        ["B-1", "B-2"],
        12,
    )
    assert details.staged_at is not None
    found = await assert_events_documented(sessions, created["id"])
    assert [event.name for event in found] == [names.BRAND_NEW, names.STAGED]
    assert found[-1].metadata_["bag_scan_codes"] == ["B-1", "B-2"]
    again = await stage(http, client_headers, w, created["id"])
    assert_error(again, 400, "Incompatible order status", 3003, None)


@pytest.mark.parametrize(
    "body",
    [
        {"bags_count": -1},
        {"items_count": "many"},
        {"bag_scan_codes": ["B-1", "B-1"]},
        {"bag_scan_codes": [""]},
        {"items_weight": "NaN"},
    ],
)
async def test_staging_validates_its_body_and_changes_nothing(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, body: dict[str, object]
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    response = await stage(http, client_headers, w, created["id"], **body)
    assert response.status_code == 400, response.text
    order, _ = await load(sessions, created["id"])
    assert order.workflow_state == "brand_new"
    assert await event_names(sessions, created["id"]) == [names.BRAND_NEW]


async def test_staging_only_takes_the_users_last_mile_orders(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    w = await world(sessions)
    async with sessions() as session:
        user = await factories.insert_user(session, user_id=w.user_id + "-x")
        from aftercart.models import Store

        shop = await session.get(Store, w.location_code)
        assert shop is not None
        product = await factories.insert_product(session)
        delivery = await factories.insert_order(session, user=user, store=shop, products=[product])
        await session.commit()
    response = await http.post(
        f"{FULFILLMENT}/users/{user.user_id}/orders/{delivery.order_id}/staged",
        json={},
        headers=client_headers,
    )
    assert_error(response, 400, NOT_LAST_MILE, 1001, "order_id")
    response = await stage(http, client_headers, w, "no-such-order")
    assert_error(response, 404, "Resource not found", 4000, None)


async def test_a_last_mile_order_cancels_and_reads_as_last_mile_delivery(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, creds: object
) -> None:
    w = await world(sessions)
    created = await create(http, client_headers, w)
    token = await factories.user_token(http, creds, w.user_id)  # type: ignore[arg-type]
    response = await http.get(
        f"/v2/post_checkout/orders/{created['id']}", headers=factories.bearer(token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["fulfillment_type"] == "last_mile_delivery"
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/orders/{created['id']}/cancel", headers=client_headers
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "canceled",
        "retailer_driven",
    )
    await assert_events_documented(sessions, created["id"])
