from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.models import ServiceOptionHold
from tests import factories
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    create_user,
    events_of,
    hold_for,
    order_body,
    order_row,
    place_order,
    post_order,
    set_capacity,
)

ORDERS = "/v2/fulfillment/users/user-1/orders"


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    return await arrange_shop(sessions)


@pytest.fixture
async def hold(http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop) -> int:
    """user-1 (with a phone number) holding the first delivery slot of the shop."""
    await create_user(http, client_headers, "user-1")
    held = await hold_for(http, client_headers, "user-1", shop.store.location_code)
    hold_id: int = held["id"]
    return hold_id


async def test_create_delivery_order(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    creds: IssuedCredentials,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = order_body("o-1", hold, shop.upcs[:2], special_instructions="Leave at door")
    body["items"][0].update(
        special_instructions="ripe please",
        replacement_items=[{"upc": shop.upcs[2]}],
        weight=1.5,
    )
    response = await post_order(http, client_headers, "user-1", body)
    assert response.status_code == 200, response.text
    order = response.json()
    held = await order_row(sessions, "o-1")
    assert order == {
        "id": "o-1",
        "status": "brand_new",
        "order_url": order["order_url"],
        "created_at": order["created_at"],
        "cancellation_reason": None,
        "locale": "en_US",
        "fulfillment_details": {
            "store_location": shop.store.location_code,
            "window_starts_at": order["fulfillment_details"]["window_starts_at"],
            "window_ends_at": order["fulfillment_details"]["window_ends_at"],
            "delivered_at": None,
        },
        "items": [
            {
                "line_num": "1",
                "count": 2,
                "weight": 1.5,
                "item": {"upc": shop.upcs[0]},
                "special_instructions": "ripe please",
                "replacement_policy": "users_choice",
                "replacement_items": [{"upc": shop.upcs[2]}],
                "added_by_shopper": False,
                "status": None,
                "delivered_item": None,
                "delivered_count": None,
                "delivered_weight": None,
            },
            {
                "line_num": "2",
                "count": 2,
                "weight": None,
                "item": {"upc": shop.upcs[1]},
                "special_instructions": None,
                "replacement_policy": "shoppers_choice",
                "replacement_items": [],
                "added_by_shopper": False,
                "status": None,
                "delivered_item": None,
                "delivered_count": None,
                "delivered_weight": None,
            },
        ],
        "warnings": [],
    }
    assert order["order_url"].startswith("http://testserver/orders/o-1/status?token=")
    assert held.client_id == creds.client_id
    assert held.initial_tip_cents == 500
    assert held.address == {"address_line_1": "500 Howard St", "postal_code": "94105"}
    assert held.latitude is not None
    assert held.special_instructions == "Leave at door"
    assert held.items[0].weight == Decimal("1.5")
    window = {
        "window_starts_at": held.window_starts_at.isoformat() if held.window_starts_at else None,
        "window_ends_at": held.window_ends_at.isoformat() if held.window_ends_at else None,
    }
    assert await events_of(sessions, "o-1") == [
        (
            names.BRAND_NEW,
            {
                "order_id": "o-1",
                "user_id": "user-1",
                "location_code": shop.store.location_code,
                "service_type": "delivery",
                "delivery_window": window,
            },
        )
    ]
    async with sessions() as session:  # the hold is used up
        assert await session.scalar(select(func.count()).select_from(ServiceOptionHold)) == 0
    fetched = await http.get(f"{ORDERS}/o-1", headers=client_headers)
    assert fetched.json() == order


async def test_create_pickup_order(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order = await place_order(http, client_headers, shop, service_type="pickup", locale="fr_ca")
    assert order["locale"] == "fr_CA"
    assert order["fulfillment_details"]["store_location"] == shop.store.location_code
    row = await order_row(sessions, order["id"])
    assert row.service_type == "pickup"
    assert row.address is None
    events = await events_of(sessions, order["id"])
    assert events[0][1]["service_type"] == "pickup"


async def test_pickup_needs_a_location_code(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    await create_user(http, client_headers, "user-1")
    held = await hold_for(http, client_headers, "user-1", shop.store.location_code, "pickup")
    body = order_body("o-1", held["id"], shop.upcs, "pickup")
    response = await post_order(http, client_headers, "user-1", body, "pickup")
    assert_error(response, 400, 1001, "location_code")


async def test_accept_language_sets_the_locale(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    response = await http.post(
        f"{ORDERS}/delivery",
        json=order_body("o-1", hold, shop.upcs),
        headers={**client_headers, "Accept-Language": "fr-CA,fr;q=0.9"},
    )
    assert response.json()["locale"] == "fr_CA"


async def test_liberal_input(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    body = order_body("o-1", hold, shop.upcs[:1], surprise={"a": 1})
    body["service_option_hold_id"] = str(hold)
    body["items"] = [
        {"line_num": 7, "count": 1, "weight": 0.5, "item": {"upc": shop.upcs[0]}, "x": 1}
    ]
    response = await post_order(http, client_headers, "user-1", body)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["line_num"] == "7"


async def test_items_by_rrc(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await factories.insert_product(session, upc=None, rrc="BANANA-1", sold_by_weight=True)
        await session.commit()
    body = order_body("o-1", hold, [])
    body["items"] = [{"line_num": "1", "weight": 2.25, "item": {"rrc": "BANANA-1"}}]
    response = await post_order(http, client_headers, "user-1", body)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["item"] == {"rrc": "BANANA-1"}


def _with_items(hold: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    body = order_body("o-1", hold, [])
    body["items"] = items
    return body


@pytest.mark.parametrize(
    ("items", "key", "message"),
    [
        ([{"line_num": "1", "count": 1, "item": {"upc": "000000000000"}}], "items[0].item", None),
        ([{"line_num": "1", "count": 1, "item": {}}], "items[0].item", None),
        ([{"line_num": "1", "count": 1, "item": {"upc": "1", "rrc": "2"}}], "items[0].item", None),
        ([{"line_num": "1", "item": {"upc": "UPC0"}}], "items[0]", None),
        ([{"count": 1, "item": {"upc": "UPC0"}}], "items[0].line_num", "can't be blank"),
        ([{"line_num": "1", "count": -1, "item": {"upc": "UPC0"}}], "items[0].count", None),
        ([{"line_num": "1", "count": "many", "item": {"upc": "UPC0"}}], "items[0].count", None),
        (
            [{"line_num": "1", "count": 1, "replacement_policy": "any", "item": {"upc": "UPC0"}}],
            "items[0].replacement_policy",
            "is not included in the list",
        ),
        (
            [
                {
                    "line_num": "1",
                    "count": 1,
                    "replacement_items": [{"upc": "9"}],
                    "item": {"upc": "UPC0"},
                }
            ],
            "items[0].replacement_items[0]",
            "Item not found",
        ),
        (
            [
                {"line_num": "1", "count": 1, "item": {"upc": "UPC0"}},
                {"line_num": "1", "count": 1, "item": {"upc": "UPC1"}},
            ],
            "items[1].line_num",
            "has already been taken",
        ),
        (
            [
                {"line_num": "1", "count": 1, "item": {"upc": "UPC0"}},
                {"line_num": "2", "count": 1, "item": {"upc": "UPC0"}},
            ],
            "items[1].item",
            "Duplicate items",
        ),
        ([{"line_num": "1", "count": 251, "item": {"upc": "UPC0"}}], "items", None),
        ([], "items", "can't be blank"),
    ],
)
async def test_bad_items(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    items: list[dict[str, Any]],
    key: str,
    message: str | None,
) -> None:
    for item in items:  # "UPC<n>" stands for the shop's n-th product
        code = item["item"].get("upc", "")
        if code.startswith("UPC"):
            item["item"]["upc"] = shop.upcs[int(code[3:])]
    response = await post_order(http, client_headers, "user-1", _with_items(hold, items))
    body = assert_error(response, 400, 1001, key)
    if message:
        assert body["error"]["message"] == message


async def test_units_limit_counts_only_delivery(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    items = [
        {"line_num": str(n), "count": 125, "item": {"upc": upc}}
        for n, upc in enumerate(shop.upcs[:2])
    ]
    items.append({"line_num": "w", "weight": 3, "item": {"upc": shop.upcs[2]}})
    ok = await post_order(http, client_headers, "user-1", _with_items(hold, items))
    assert ok.status_code == 200, ok.text  # exactly 250 counted units; the weighed line is free

    pickup_hold = await hold_for(http, client_headers, "user-1", shop.store.location_code, "pickup")
    body = order_body(
        "o-2", pickup_hold["id"], [], "pickup", location_code=shop.store.location_code
    )
    body["items"] = [{"line_num": "1", "count": 400, "item": {"upc": shop.upcs[0]}}]
    assert (await post_order(http, client_headers, "user-1", body, "pickup")).status_code == 200


async def test_several_item_errors_come_as_9999(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    items = [
        {"line_num": "1", "count": 1, "item": {"upc": "111"}},
        {"line_num": "2", "count": 1, "item": {"rrc": "nope"}},
    ]
    response = await post_order(http, client_headers, "user-1", _with_items(hold, items))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 9999
    assert [e["meta"]["key"] for e in error["errors"]] == ["items[0].item", "items[1].item"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"order_id": None}, "order_id"),
        ({"initial_tip_cents": "lots"}, "initial_tip_cents"),
        ({"initial_tip_cents": None}, "initial_tip_cents"),
        ({"address": None}, "address"),
        ({"address": {"address_line_1": "1 Main St"}}, "address.postal_code"),
        ({"service_option_hold_id": "abc"}, "service_option_hold_id"),
        ({"service_option_hold_id": 999_999}, "service_option_hold_id"),
        ({"service_option_hold_id": 2**40}, "service_option_hold_id"),
        ({"location_code": "elsewhere"}, "location_code"),
        ({"user": {"birthday": "not a date"}}, "user.birthday"),
        ({"locale": "!!"}, "locale"),
    ],
)
async def test_bad_fields(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    change: dict[str, Any],
    key: str,
) -> None:
    body = order_body("o-1", hold, shop.upcs)
    for name, value in change.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    assert_error(await post_order(http, client_headers, "user-1", body), 400, 1001, key)


async def test_malformed_json(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    response = await http.post(
        f"{ORDERS}/delivery",
        content=b'{"order_id": ',
        headers={**client_headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400, 1001, "body")
    listed = await http.post(f"{ORDERS}/delivery", json=[1, 2], headers=client_headers)
    assert_error(listed, 400, 1001, "body")


async def test_duplicate_order_id(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    await place_order(http, client_headers, shop, order_id="o-1")
    held = await hold_for(http, client_headers, "user-1", shop.store.location_code)
    response = await post_order(
        http, client_headers, "user-1", order_body("o-1", held["id"], shop.upcs)
    )
    body = assert_error(response, 400, 1001, "order_id")
    assert body["error"]["message"] == "has already been taken"


async def test_phone_number_is_needed_somewhere(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    await create_user(http, client_headers, "quiet", phone_number=None)
    held = await hold_for(http, client_headers, "quiet", shop.store.location_code)
    body = order_body("o-1", held["id"], shop.upcs)
    response = await post_order(http, client_headers, "quiet", body)
    assert_error(response, 400, 1001, "user.phone_number")
    body["user"] = {"phone_number": "+14155550199", "sms_opt_in": True}
    assert (await post_order(http, client_headers, "quiet", body)).status_code == 200


async def test_a_hold_is_only_its_users_and_its_service(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, hold: int
) -> None:
    await create_user(http, client_headers, "user-2")
    theirs = await post_order(http, client_headers, "user-2", order_body("o-1", hold, shop.upcs))
    assert_error(theirs, 400, 1001, "service_option_hold_id")
    pickup = await hold_for(http, client_headers, "user-1", shop.store.location_code, "pickup")
    wrong = await post_order(
        http, client_headers, "user-1", order_body("o-1", pickup["id"], shop.upcs)
    )
    body = assert_error(wrong, 400, 1001, "service_option_hold_id")
    assert body["error"]["message"] == "is for pickup, not delivery"


async def test_expired_hold_books_while_there_is_room(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        held = await session.get(ServiceOptionHold, hold)
        assert held is not None
        slot_id = held.service_option_id
        held.expires_at = utcnow() - timedelta(minutes=5)
        await session.commit()
    await create_user(http, client_headers, "user-2")
    other = await http.post(
        f"/v2/fulfillment/users/user-2/service_options/{slot_id}/reserve", headers=client_headers
    )
    assert other.status_code == 200
    await set_capacity(sessions, slot_id, 1)
    full = await post_order(http, client_headers, "user-1", order_body("o-1", hold, shop.upcs))
    body = assert_error(full, 400, 1001, "service_option_hold_id")
    assert "full" in body["error"]["message"]
    await set_capacity(sessions, slot_id, 2)
    booked = await post_order(http, client_headers, "user-1", order_body("o-1", hold, shop.upcs))
    assert booked.status_code == 200, booked.text


async def test_orders_are_seen_only_under_their_users_path(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    await place_order(http, client_headers, shop, "user-1", "o-1")
    await create_user(http, client_headers, "user-2")
    for response in (
        await http.get("/v2/fulfillment/users/user-2/orders/o-1", headers=client_headers),
        await http.put(
            "/v2/fulfillment/users/user-2/orders/o-1",
            json={"items": [{"line_num": "1", "count": 1, "item": {"upc": shop.upcs[0]}}]},
            headers=client_headers,
        ),
        await http.post("/v2/fulfillment/users/user-2/orders/o-1/cancel", headers=client_headers),
        await http.get(f"{ORDERS}/missing", headers=client_headers),
    ):
        body = assert_error(response, 404, 4000)
        assert body["error"]["message"] == "Resource not found"
    unknown_user = await http.get("/v2/fulfillment/users/nobody/orders/o-1", headers=client_headers)
    assert_error(unknown_user, 400, 1001, "user_id")


async def test_other_store_for_delivery_is_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    hold: int,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    other = await arrange_shop(sessions, products=0)
    body = order_body("o-1", hold, shop.upcs, location_code=other.store.location_code)
    assert_error(await post_order(http, client_headers, "user-1", body), 400, 1001, "location_code")
