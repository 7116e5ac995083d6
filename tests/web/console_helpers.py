"""Arranging the shopper console's tests: an order a client placed through the API, being picked
by a shopper, and what the API says of it afterwards."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.sandbox.helpers import SANDBOX
from tests.web.helpers import Grocery, Placed, arrange_grocery, place, start_shopping

Headers = dict[str, str]


@dataclass(frozen=True)
class Shopping:
    grocery: Grocery
    placed: Placed

    @property
    def shopper_id(self) -> int:
        assert self.placed.shopper_id is not None
        return self.placed.shopper_id

    @property
    def console_path(self) -> str:
        return f"/sandbox/shoppers/{self.shopper_id}"


async def arrange_shopping(
    http: httpx.AsyncClient,
    headers: Headers,
    sessions: async_sessionmaker[AsyncSession],
    order_id: str = "order-2001",
) -> Shopping:
    """The grocery's five products ordered twice each, in a batch that is picking."""
    grocery = await arrange_grocery(sessions)
    placed = await place(http, headers, grocery, order_id)
    return Shopping(grocery, await start_shopping(http, headers, placed))


async def shopper_state(http: httpx.AsyncClient, headers: Headers, shopping: Shopping) -> Any:
    response = await http.get(f"{SANDBOX}/shoppers/{shopping.shopper_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def items_by_name(
    http: httpx.AsyncClient, headers: Headers, shopping: Shopping
) -> dict[str, dict[str, Any]]:
    """The order's lines by product name, as the sandbox's read gives them; empty once the
    batch is no longer open."""
    state = await shopper_state(http, headers, shopping)
    return {
        item["product"]["name"]: item
        for batch in state["batches"]
        for order in batch["orders"]
        for item in order["items"]
    }


async def chat(http: httpx.AsyncClient, headers: Headers, shopping: Shopping) -> list[Any]:
    path = f"{SANDBOX}/shoppers/{shopping.shopper_id}/orders/{shopping.placed.order_id}/messages"
    response = await http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    messages: list[Any] = response.json()["messages"]
    return messages
