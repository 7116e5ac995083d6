"""Arranging post-checkout scenarios straight in the database (items.md states)."""

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.models import Event, Order, OrderItem, Product, Shopper
from tests import factories

_counter = itertools.count(1)

BASE = "/v2/post_checkout"
SANDBOX = "/v2/fulfillment_sandbox"


@dataclass
class Scenario:
    """An order of a user with a post-checkout token, and products to use as replacements."""

    order_id: str
    user_id: str
    headers: dict[str, str]
    products: list[Product]
    spares: list[Product]

    @property
    def handling(self) -> str:
        return f"{BASE}/orders/{self.order_id}/handling"

    @property
    def items(self) -> str:
        return f"{BASE}/orders/{self.order_id}/items"

    def replacement(self, line_num: str) -> str:
        return f"{BASE}/orders/{self.order_id}/items/{line_num}/replacement"

    @property
    def messages(self) -> str:
        return f"{BASE}/chat/{self.order_id}/messages"


async def arrange(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    creds: IssuedCredentials,
    *,
    workflow_state: str = "picking",
    service_type: str = "delivery",
    lines: int = 3,
    shopper: dict[str, Any] | None = None,
    **order_values: Any,
) -> Scenario:
    """A user, a store, ``lines`` products ordered (line_num "1".."n", count 2 each), two spare
    products, and an order in ``workflow_state``; with ``shopper`` (column values) a shopper is
    assigned to it."""
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        products = [await factories.insert_product(session) for _ in range(lines)]
        spares = [await factories.insert_product(session) for _ in range(2)]
        if shopper is not None:
            n = next(_counter)
            values = {"tenant_id": 1, "first_name": "Sam", "email": f"shopper{n}@example.com"}
            values |= shopper
            row = await factories.added(session, Shopper(**values))
            order_values["shopper_id"] = row.id
        order = await factories.insert_order(
            session,
            user=user,
            store=store,
            products=products,
            service_type=service_type,
            workflow_state=workflow_state,
            **order_values,
        )
        await session.commit()
    token = await factories.user_token(http, creds, user.user_id, scope="connect:post_checkout")
    return Scenario(order.order_id, user.user_id, factories.bearer(token), products, spares)


async def shopper_batch(
    http: httpx.AsyncClient, client_headers: dict[str, str], order_id: str, workflow_state: str
) -> tuple[int, int]:
    """A new sandbox shopper whose batch, through the sandbox API, takes the order to
    ``workflow_state``: the shopper's id and the batch's."""
    shopper = await http.post(
        f"{SANDBOX}/shoppers", json={"first_name": "Sam"}, headers=client_headers
    )
    assert shopper.status_code == 200, shopper.text
    batch = await http.post(
        f"{SANDBOX}/batches",
        json={
            "shopper_id": shopper.json()["id"],
            "orders": [{"id": order_id}],
            "workflow_state": workflow_state,
        },
        headers=client_headers,
    )
    assert batch.status_code == 200, batch.text
    return shopper.json()["id"], batch.json()["id"]


async def set_item(
    sessions: async_sessionmaker[AsyncSession], order_id: str, line_num: str, **values: Any
) -> None:
    """Sets an item's columns as the shopper's side would (items.md)."""
    async with sessions() as session:
        order_pk = await session.scalar(select(Order.id).where(Order.order_id == order_id))
        await session.execute(
            update(OrderItem)
            .where(OrderItem.order_pk == order_pk, OrderItem.line_num == line_num)
            .values(**values)
        )
        await session.commit()


async def propose(
    sessions: async_sessionmaker[AsyncSession],
    scenario: Scenario,
    line_num: str,
    *,
    spare: int = 0,
    delivered_count: int | None = 2,
) -> None:
    """The shopper replaces a line with a spare product, awaiting the customer's decision."""
    await set_item(
        sessions,
        scenario.order_id,
        line_num,
        shopper_status="replaced",
        replacement_product_id=scenario.spares[spare].id,
        replacement_status="PENDING",
        delivered_count=delivered_count,
    )


async def decide(
    http: httpx.AsyncClient, scenario: Scenario, line_num: str, status: str
) -> httpx.Response:
    """The customer's decision on a line's replacement."""
    return await http.put(
        scenario.replacement(line_num), json={"status": status}, headers=scenario.headers
    )


async def set_order(
    sessions: async_sessionmaker[AsyncSession], order_id: str, **values: Any
) -> None:
    async with sessions() as session:
        await session.execute(update(Order).where(Order.order_id == order_id).values(**values))
        await session.commit()


async def item_row(
    sessions: async_sessionmaker[AsyncSession], order_id: str, line_num: str
) -> OrderItem:
    async with sessions() as session:
        item = await session.scalar(
            select(OrderItem)
            .join(Order, Order.id == OrderItem.order_pk)
            .where(Order.order_id == order_id, OrderItem.line_num == line_num)
        )
        assert item is not None
        return item


async def events(
    sessions: async_sessionmaker[AsyncSession], order_id: str, name: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.order_id == order_id, Event.name == name).order_by(Event.id)
        )
        return [row.metadata_ for row in rows]
