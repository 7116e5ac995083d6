from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.models import ServiceOption, ServiceOptionHold
from tests import factories
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    create_user,
    list_slots,
    place_order,
    reserve,
    set_capacity,
)

USERS = "/v2/fulfillment/users"


@pytest.fixture
async def shop(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> Shop:
    made = await arrange_shop(sessions)
    await create_user(http, client_headers, "user-1")
    await create_user(http, client_headers, "user-2")
    return made


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_listing_offers_the_coming_windows(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    assert len(options) >= 6 * (settings.slot_days - 1)
    first = options[0]
    assert set(first) >= {"id", "service_option_reference", "date", "window", "availability"}
    assert first["window"]["type"] == "scheduled"
    assert first["availability"] == {
        "available": True,
        "remaining": settings.slot_capacity,
        "capacity": settings.slot_capacity,
    }
    starts = [when(option["window"]["start_at"]) for option in options]
    assert starts == sorted(starts)
    assert starts[0] > utcnow() + timedelta(minutes=59)
    assert starts[-1] <= utcnow() + timedelta(days=settings.slot_days)
    for option in options:
        length = when(option["window"]["end_at"]) - when(option["window"]["start_at"])
        assert length == timedelta(hours=2)

    again = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    assert [o["id"] for o in again] == [o["id"] for o in options]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ServiceOption)) == len(options)


async def test_pickup_windows_are_separate_slots(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    delivery = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    pickup = await list_slots(http, client_headers, "user-1", shop.store.location_code, "pickup")
    assert {o["id"] for o in delivery}.isdisjoint({o["id"] for o in pickup})
    assert all(o["service_type"] == "pickup" for o in pickup)


async def test_listing_errors(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        pickup_only = await factories.insert_store(session, delivery=False)
        await session.commit()
    url = f"{USERS}/user-1/service_options/cart/delivery"
    cases = [
        ({"location_code": "nowhere"}, 1001, "location_code"),
        ({"location_code": pickup_only.location_code}, 1001, "location_code"),
        ({}, 1001, "location_code"),
        (
            {
                "location_code": shop.store.location_code,
                "items": [{"count": 1, "item": {"upc": "1"}}],
            },
            2000,
            "items[0].item",
        ),
        (
            {"location_code": shop.store.location_code, "items": [{"item": {"upc": shop.upcs[0]}}]},
            1001,
            "items[0]",
        ),
    ]
    for body, code, key in cases:
        assert_error(await http.post(url, json=body, headers=client_headers), 400, code, key)
    unknown = await http.post(
        f"{USERS}/nobody/service_options/cart/pickup",
        json={"location_code": shop.store.location_code},
        headers=client_headers,
    )
    assert_error(unknown, 400, 1001, "user_id")


async def test_listing_accepts_known_items_and_an_address(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    body = {
        "location_code": shop.store.location_code,
        "items": [{"line_num": "1", "count": 2, "item": {"upc": shop.upcs[0]}}],
        "address": {"address_line_1": "500 Howard St", "postal_code": "94105"},
    }
    response = await http.post(
        f"{USERS}/user-1/service_options/cart/delivery", json=body, headers=client_headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("body", [None, b"", b'""', b"{}"])
async def test_reserve_returns_a_hold(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    settings: Settings,
    body: bytes | None,
) -> None:
    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    headers = {**client_headers, "Content-Type": "application/json"} if body else client_headers
    response = await http.post(
        f"{USERS}/user-1/service_options/{options[0]['id']}/reserve", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    hold = response.json()["service_option_hold"]
    assert isinstance(hold["id"], int)
    ttl = when(hold["expires_at"]) - utcnow()
    assert timedelta(seconds=settings.hold_ttl_seconds - 30) < ttl
    assert ttl <= timedelta(seconds=settings.hold_ttl_seconds)
    assert hold["service_option"]["id"] == options[0]["id"]
    assert hold["service_option"]["window"] == options[0]["window"]


async def test_a_new_hold_replaces_the_previous_one(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    for slot_id in (options[0]["id"], options[0]["id"], options[1]["id"]):
        assert (await reserve(http, client_headers, "user-1", slot_id)).status_code == 200
    async with sessions() as session:
        holds = (await session.scalars(select(ServiceOptionHold))).all()
    assert [(h.user_id, h.service_option_id) for h in holds] == [("user-1", options[1]["id"])]


async def test_reserve_errors(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert_error(await reserve(http, client_headers, "user-1", 999_999), 404, 4000)
    for bad_id in ("abc", "0", str(2**40)):
        bad = await http.post(
            f"{USERS}/user-1/service_options/{bad_id}/reserve", headers=client_headers
        )
        assert_error(bad, 400, 1001, "service_option_id")
    malformed = await http.post(
        f"{USERS}/user-1/service_options/1/reserve",
        content=b"{nope",
        headers={**client_headers, "Content-Type": "application/json"},
    )
    assert_error(malformed, 400, 1001, "body")
    assert_error(await reserve(http, client_headers, "nobody", 1), 400, 1001, "user_id")

    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    async with sessions() as session:
        await session.execute(
            update(ServiceOption)
            .where(ServiceOption.id == options[0]["id"])
            .values(window_starts_at=utcnow() + timedelta(minutes=10))
        )
        await session.commit()
    closed = await reserve(http, client_headers, "user-1", options[0]["id"])
    assert_error(closed, 400, 1001, "service_option_id")


async def test_capacity_counts_orders_and_other_users_live_holds(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    slot_id = options[0]["id"]
    await set_capacity(sessions, slot_id, 2)
    assert (await reserve(http, client_headers, "user-1", slot_id)).status_code == 200

    def remaining(listing: list[dict[str, object]]) -> object:
        return next(o["availability"] for o in listing if o["id"] == slot_id)

    mine = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    assert remaining(mine) == {"available": True, "remaining": 2, "capacity": 2}
    theirs = await list_slots(http, client_headers, "user-2", shop.store.location_code)
    assert remaining(theirs) == {"available": True, "remaining": 1, "capacity": 2}

    await create_user(http, client_headers, "user-3")
    assert (await reserve(http, client_headers, "user-2", slot_id)).status_code == 200
    full = await reserve(http, client_headers, "user-3", slot_id)
    body = assert_error(full, 400, 1001, "service_option_id")
    assert "full" in body["error"]["message"]
    listing = await list_slots(http, client_headers, "user-3", shop.store.location_code)
    assert remaining(listing) == {"available": False, "remaining": 0, "capacity": 2}

    async with sessions() as session:  # user-2's hold runs out
        await session.execute(
            update(ServiceOptionHold)
            .where(ServiceOptionHold.user_id == "user-2")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert (await reserve(http, client_headers, "user-3", slot_id)).status_code == 200


async def test_orders_take_places_and_cancelled_ones_give_them_back(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    options = await list_slots(http, client_headers, "user-1", shop.store.location_code)
    slot_id = options[0]["id"]
    await set_capacity(sessions, slot_id, 1)
    order = await place_order(http, client_headers, shop, "user-1", "o-1")
    assert order["fulfillment_details"]["window_starts_at"] == options[0]["window"]["start_at"]
    assert_error(await reserve(http, client_headers, "user-2", slot_id), 400, 1001)
    cancel = await http.post(f"{USERS}/user-1/orders/o-1/cancel", headers=client_headers)
    assert cancel.status_code == 200
    assert (await reserve(http, client_headers, "user-2", slot_id)).status_code == 200
