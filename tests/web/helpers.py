"""Orders for the page tests, made through the public API as a retailer, a shopper and a
customer would make them."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.models import Product
from tests import factories
from tests.fulfillment.helpers import Shop, place_order
from tests.sandbox.helpers import SANDBOX, create_batch, create_shopper

Headers = dict[str, str]
#: The order's products, each ordered twice, and the product the shopper replaces one with.
GROCERIES = ("Whole Milk", "2% Reduced Fat Milk", "Greek Yogurt", "Salted Butter", "Bananas")
REPLACEMENT = "Oat Milk Yogurt"


@dataclass(frozen=True)
class Grocery:
    shop: Shop
    replacement: Product


async def arrange_grocery(sessions: async_sessionmaker[AsyncSession]) -> Grocery:
    """A store in San Francisco, the :data:`GROCERIES` and the :data:`REPLACEMENT`."""
    async with sessions() as session:
        store = await factories.insert_store(session, name="Corner Grocer")
        products = [await factories.insert_product(session, name=name) for name in GROCERIES]
        replacement = await factories.insert_product(session, name=REPLACEMENT)
        await session.commit()
    return Grocery(Shop(store, products), replacement)


@dataclass(frozen=True)
class Placed:
    order_id: str
    user_id: str
    order_url: str
    shopper_id: int | None = None
    batch_id: int | None = None


async def place(
    http: httpx.AsyncClient,
    headers: Headers,
    grocery: Grocery,
    order_id: str,
    service_type: str = "delivery",
) -> Placed:
    order = await place_order(http, headers, grocery.shop, "user-1", order_id, service_type)
    return Placed(order_id, "user-1", order["order_url"])


async def start_shopping(
    http: httpx.AsyncClient, headers: Headers, placed: Placed, workflow_state: str = "picking"
) -> Placed:
    """Shopper Sam takes the order in a batch moved to ``workflow_state``."""
    shopper_id = await create_shopper(http, headers, first_name="Sam")
    batch = await create_batch(
        http, headers, shopper_id, placed.order_id, workflow_state=workflow_state
    )
    assert batch.status_code == 200, batch.text
    return Placed(placed.order_id, placed.user_id, placed.order_url, shopper_id, batch.json()["id"])


async def update_item(
    http: httpx.AsyncClient, headers: Headers, placed: Placed, line_num: str, **body: Any
) -> None:
    url = f"{SANDBOX}/shoppers/{placed.shopper_id}/orders/{placed.order_id}/items/{line_num}"
    response = await http.put(url, json=body, headers=headers)
    assert response.status_code == 200, response.text


async def shop_every_kind(
    http: httpx.AsyncClient, headers: Headers, placed: Placed, grocery: Grocery
) -> None:
    """Line 1 found, 2 partly found (1 of 2), 3 replaced (2 of the replacement, not answered
    yet), 4 refunded, 5 not shopped yet."""
    await update_item(http, headers, placed, "1", status="found")
    await update_item(http, headers, placed, "2", status="found", delivered_count=1)
    replacement = {"upc": grocery.replacement.upc}
    await update_item(http, headers, placed, "3", status="replaced", replacement_item=replacement)
    await update_item(http, headers, placed, "4", status="to_refund")


async def advance(
    http: httpx.AsyncClient, headers: Headers, placed: Placed, workflow_state: str
) -> None:
    response = await http.post(
        f"{SANDBOX}/batches/{placed.batch_id}/advance",
        json={"workflow_state": workflow_state},
        headers=headers,
    )
    assert response.status_code == 200, response.text


async def reject_replacement(
    http: httpx.AsyncClient, creds: IssuedCredentials, placed: Placed, line_num: str
) -> None:
    """The customer turns the replacement down (Connect post-checkout, with the user's token)."""
    token = await factories.user_token(http, creds, placed.user_id)
    response = await http.put(
        f"/v2/post_checkout/orders/{placed.order_id}/items/{line_num}/replacement",
        json={"status": "REJECTED"},
        headers=factories.bearer(token),
    )
    assert response.status_code == 200, response.text
