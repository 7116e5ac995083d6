"""Arranging last-mile scenarios over HTTP, and reading what they wrote."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events.envelope import envelope
from aftercart.models import Event, LastMileOrder, Order, ServiceOption
from tests import factories
from tests.sandbox.helpers import events
from tests.webhooks.helpers import payload_errors

Sessions = async_sessionmaker[AsyncSession]
Headers = dict[str, str]
FULFILLMENT = "/v2/fulfillment"
SANDBOX = "/v2/fulfillment_sandbox"
ADDRESS = {"address_line_1": "500 Howard St", "postal_code": "94105"}
_ids = itertools.count(1)


@dataclass
class World:
    user_id: str
    location_code: str


async def world(sessions: Sessions, **store: Any) -> World:
    async with sessions() as session:
        user = await factories.insert_user(session, phone_number="+14155550100")
        shop = await factories.insert_store(session, **store)
        await session.commit()
        return World(user.user_id, shop.location_code)


async def options(
    http: httpx.AsyncClient, headers: Headers, w: World, service: str = "last_mile"
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"location_code": w.location_code, "items_count": 3}
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/service_options/cart/{service}",
        json=body,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["service_options"]
    return found


async def hold(
    http: httpx.AsyncClient, headers: Headers, w: World, service: str = "last_mile"
) -> int:
    option = (await options(http, headers, w, service))[0]
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/service_options/{option['id']}/reserve", headers=headers
    )
    assert response.status_code == 200, response.text
    return int(response.json()["service_option_hold"]["id"])


def order_body(w: World, hold_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": f"lmd-{next(_ids)}",
        "location_code": w.location_code,
        "service_option_hold_id": hold_id,
        "first_name": "jane",
        "last_name": "doe",
        "user_phone": "+14155550123",
        "items_count": 12,
        "items_weight": 9.5,
        "bags_count": 3,
        "bag_label": "DOE-1",
        "address": ADDRESS,
    }
    return body | overrides


async def create(
    http: httpx.AsyncClient, headers: Headers, w: World, **overrides: Any
) -> dict[str, Any]:
    body = order_body(w, await hold(http, headers, w), **overrides)
    response = await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/orders/last_mile", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def stage(
    http: httpx.AsyncClient, headers: Headers, w: World, order_id: str, **body: Any
) -> httpx.Response:
    return await http.post(
        f"{FULFILLMENT}/users/{w.user_id}/orders/{order_id}/staged", json=body, headers=headers
    )


def dispatch_body(w: World, start: datetime, hours: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": f"dlmd-{next(_ids)}",
        "location_code": w.location_code,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=hours)).isoformat(),
        "first_name": "Jane",
        "last_name": "Doe",
        "user_phone": "+14155550123",
        "items_count": 4,
        "items_weight": 3.5,
        "address": ADDRESS,
    }
    return body | overrides


async def slot_starts(http: httpx.AsyncClient, headers: Headers, w: World) -> list[datetime]:
    return [
        datetime.fromisoformat(option["window"]["start_at"])
        for option in await options(http, headers, w)
    ]


async def fill_slots(sessions: Sessions, location_code: str) -> None:
    """Every last-mile slot of the store is full (capacity 0)."""
    async with sessions() as session:
        await session.execute(
            update(ServiceOption)
            .where(ServiceOption.location_code == location_code)
            .values(capacity=0)
        )
        await session.commit()


async def set_capacity(sessions: Sessions, slot_start: datetime, capacity: int) -> None:
    async with sessions() as session:
        await session.execute(
            update(ServiceOption)
            .where(ServiceOption.window_starts_at == slot_start)
            .values(capacity=capacity)
        )
        await session.commit()


def wire(event: Event) -> dict[str, Any]:
    """The event as a webhook receiver gets it."""
    return envelope(
        event_id=event.id, name=event.name, created_at=event.created_at, metadata=event.metadata_
    )


async def assert_events_documented(sessions: Sessions, order_id: str) -> list[Event]:
    """Every event of the order validates against its AsyncAPI message."""
    found = await events(sessions, order_id)
    for event in found:
        assert payload_errors(wire(event)) == [], (event.name, event.metadata_)
    return found


async def load(sessions: Sessions, order_id: str) -> tuple[Order, LastMileOrder]:
    async with sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_id == order_id))
        assert order is not None
        details = await session.get(LastMileOrder, order.id)
        assert details is not None
        return order, details


def assert_error(
    response: httpx.Response, status: int, message: str, code: int | None, key: str | None
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["message"] == message, body
    assert body["error"]["code"] == code, body
    if key is not None:
        assert body["meta"]["key"] == key, body
