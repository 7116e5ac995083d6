"""Many requests at once on one slot never take more places than it has.

On SQLite the write transactions run one after the other; on PostgreSQL the slot row lock
(``FOR UPDATE``) makes them queue."""

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.models import Order, ServiceOption, ServiceOptionHold
from tests.fulfillment.helpers import (
    arrange_shop,
    create_user,
    list_slots,
    order_body,
    post_order,
    set_capacity,
)

CAPACITY = 3
CROWD = 10


async def _crowd_and_slot(
    http: httpx.AsyncClient, headers: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> tuple[list[str], int, list[str]]:
    shop = await arrange_shop(sessions, products=1)
    users = [f"user-{n}" for n in range(CROWD)]
    for user_id in users:
        await create_user(http, headers, user_id)
    slot_id: int = (await list_slots(http, headers, users[0], shop.store.location_code))[0]["id"]
    await set_capacity(sessions, slot_id, CAPACITY)
    return users, slot_id, shop.upcs


async def test_concurrent_reserves_never_overbook(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users, slot_id, _ = await _crowd_and_slot(http, client_headers, sessions)
    responses = await asyncio.gather(
        *(
            http.post(
                f"/v2/fulfillment/users/{user_id}/service_options/{slot_id}/reserve",
                headers=client_headers,
            )
            for user_id in users
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * CAPACITY + [400] * (CROWD - CAPACITY)
    async with sessions() as session:
        held = await session.scalar(select(func.count()).select_from(ServiceOptionHold))
    assert held == CAPACITY


async def test_concurrent_orders_never_overbook(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Every user has an expired hold on the slot; expired holds still book while there is room."""
    users, slot_id, upcs = await _crowd_and_slot(http, client_headers, sessions)
    async with sessions() as session:
        holds = [
            ServiceOptionHold(
                tenant_id=1,
                user_id=user_id,
                service_option_id=slot_id,
                expires_at=utcnow() - timedelta(minutes=1),
            )
            for user_id in users
        ]
        session.add_all(holds)
        await session.commit()
    responses = await asyncio.gather(
        *(
            post_order(http, client_headers, user_id, order_body(f"o-{user_id}", hold.id, upcs))
            for user_id, hold in zip(users, holds, strict=True)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * CAPACITY + [400] * (CROWD - CAPACITY)
    async with sessions() as session:
        booked = await session.scalar(
            select(func.count()).select_from(Order).where(Order.service_option_id == slot_id)
        )
    assert booked == CAPACITY


async def test_concurrent_listings_create_each_slot_once(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await arrange_shop(sessions, products=0)
    await create_user(http, client_headers, "user-1")
    listings = await asyncio.gather(
        *(list_slots(http, client_headers, "user-1", shop.store.location_code) for _ in range(6))
    )
    ids = [[option["id"] for option in listing] for listing in listings]
    assert all(listing == ids[0] for listing in ids)
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(ServiceOption))
    assert rows == len(ids[0])
