"""Helpers for the fulfillment tests: the API's happy path in a few calls."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.fulfillment.lookup import find_order
from aftercart.models import Event, Order, Product, ServiceOption, Store
from tests import factories

Headers = dict[str, str]


@dataclass(frozen=True)
class Shop:
    store: Store
    products: list[Product]

    @property
    def upcs(self) -> list[str]:
        return [product.upc or "" for product in self.products]


async def arrange_shop(
    sessions: async_sessionmaker[AsyncSession], *, products: int = 3, **store: Any
) -> Shop:
    """A store in San Francisco (unless overridden) and some counted products."""
    async with sessions() as session:
        made_store = await factories.insert_store(session, **store)
        made = [await factories.insert_product(session) for _ in range(products)]
        await session.commit()
    return Shop(made_store, made)


async def create_user(
    http: httpx.AsyncClient, headers: Headers, user_id: str = "user-1", **fields: Any
) -> dict[str, Any]:
    body = {"user_id": user_id, "first_name": "ada", "phone_number": "+14155550100", **fields}
    response = await http.post("/v2/fulfillment/users", json=body, headers=headers)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


async def list_slots(
    http: httpx.AsyncClient,
    headers: Headers,
    user_id: str,
    location_code: str,
    service_type: str = "delivery",
) -> list[dict[str, Any]]:
    response = await http.post(
        f"/v2/fulfillment/users/{user_id}/service_options/cart/{service_type}",
        json={"location_code": location_code},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    options: list[dict[str, Any]] = response.json()["service_options"]
    return options


async def reserve(
    http: httpx.AsyncClient, headers: Headers, user_id: str, slot_id: int
) -> httpx.Response:
    return await http.post(
        f"/v2/fulfillment/users/{user_id}/service_options/{slot_id}/reserve", headers=headers
    )


async def hold_for(
    http: httpx.AsyncClient,
    headers: Headers,
    user_id: str,
    location_code: str,
    service_type: str = "delivery",
) -> dict[str, Any]:
    """Reserves the first offered slot and returns the ``service_option_hold``."""
    slots = await list_slots(http, headers, user_id, location_code, service_type)
    response = await reserve(http, headers, user_id, slots[0]["id"])
    assert response.status_code == 200, response.text
    hold: dict[str, Any] = response.json()["service_option_hold"]
    return hold


def order_body(
    order_id: str, hold_id: int, upcs: list[str], service_type: str = "delivery", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "service_option_hold_id": hold_id,
        "items": [
            {"line_num": str(n), "count": 2, "item": {"upc": upc}}
            for n, upc in enumerate(upcs, start=1)
        ],
    }
    if service_type == "delivery":
        body["initial_tip_cents"] = 500
        body["address"] = {"address_line_1": "500 Howard St", "postal_code": "94105"}
    body.update(extra)
    return body


async def post_order(
    http: httpx.AsyncClient,
    headers: Headers,
    user_id: str,
    body: dict[str, Any],
    service_type: str = "delivery",
) -> httpx.Response:
    return await http.post(
        f"/v2/fulfillment/users/{user_id}/orders/{service_type}", json=body, headers=headers
    )


async def place_order(
    http: httpx.AsyncClient,
    headers: Headers,
    shop: Shop,
    user_id: str = "user-1",
    order_id: str = "order-1",
    service_type: str = "delivery",
    **extra: Any,
) -> dict[str, Any]:
    """Creates the user (if needed), reserves a slot and places an order for every product."""
    known = await http.get(f"/v2/fulfillment/users/{user_id}", headers=headers)
    if known.status_code != 200:
        await create_user(http, headers, user_id)
    hold = await hold_for(http, headers, user_id, shop.store.location_code, service_type)
    body = order_body(order_id, hold["id"], shop.upcs, service_type, **extra)
    if service_type == "pickup":
        body["location_code"] = shop.store.location_code
    response = await post_order(http, headers, user_id, body, service_type)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


def assert_error(
    response: httpx.Response, status: int, code: int | None, key: str | None = None
) -> dict[str, Any]:
    """A single Connect error with this status, code and ``meta.key``; returns the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, body
    if key is not None:
        assert body["meta"].get("key") == key, body
    return body


async def events_of(
    sessions: async_sessionmaker[AsyncSession], order_id: str
) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.order_id == order_id).order_by(Event.id)
        )
        return [(event.name, event.metadata_) for event in rows]


async def order_row(sessions: async_sessionmaker[AsyncSession], order_id: str) -> Order:
    async with sessions() as session:
        order = await find_order(session, order_id)
    assert order is not None
    return order


async def set_capacity(sessions: async_sessionmaker[AsyncSession], slot_id: int, n: int) -> None:
    async with sessions() as session:
        await session.execute(
            update(ServiceOption).where(ServiceOption.id == slot_id).values(capacity=n)
        )
        await session.commit()
