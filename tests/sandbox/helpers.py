"""Arranging sandbox scenarios: orders in the database, shoppers and batches over HTTP."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.config import Settings
from aftercart.fulfillment.lookup import find_order
from aftercart.models import Batch, Event, Order, Product
from tests import factories

SANDBOX = "/v2/fulfillment_sandbox"
Sessions = async_sessionmaker[AsyncSession]
#: What a reset answers it removed, as docs/sandbox.md gives them.
RESET_KINDS = (
    "users",
    "orders",
    "shoppers",
    "batches",
    "instacart_users",
    "ratings",
    "events",
    "webhook_deliveries",
    "pos_transactions",
    "monitored_requests",
    "autopilots",
)


@contextlib.asynccontextmanager
async def without_sandbox(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on the suite's database with the sandbox off."""
    async with serving(
        Settings(database_url=database_url, sandbox=False, run_worker=False)
    ) as http:
        yield http


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of another app with ``settings``, beside the test's own: another process, as
    far as anything stored can tell."""
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    await app.state.engine.dispose()


@dataclass
class Arranged:
    order_id: str
    user_id: str
    products: list[Product]
    pk: int


@dataclass
class Picking:
    """An order in a batch, in ``picking``, with its shopper."""

    order_id: str
    shopper_id: int
    batch_id: int
    products: list[Product]
    pk: int

    def item_url(self, line_num: str = "1", shopper_id: int | None = None) -> str:
        shopper = self.shopper_id if shopper_id is None else shopper_id
        return f"{SANDBOX}/shoppers/{shopper}/orders/{self.order_id}/items/{line_num}"

    @property
    def items_url(self) -> str:
        return f"{SANDBOX}/shoppers/{self.shopper_id}/orders/{self.order_id}/items"

    @property
    def advance_url(self) -> str:
        return f"{SANDBOX}/batches/{self.batch_id}/advance"


async def arrange_order(
    sessions: Sessions,
    *,
    service_type: str = "delivery",
    products: int = 3,
    product_overrides: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> Arranged:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        specs = product_overrides or [{} for _ in range(products)]
        made = [await factories.insert_product(session, **spec) for spec in specs]
        order = await factories.insert_order(
            session, user=user, store=store, products=made, service_type=service_type, **overrides
        )
        await session.commit()
        return Arranged(order.order_id, user.user_id, made, order.id)


async def insert_products(sessions: Sessions, count: int = 1, **overrides: Any) -> list[Product]:
    async with sessions() as session:
        made = [await factories.insert_product(session, **overrides) for _ in range(count)]
        await session.commit()
        return made


async def create_shopper(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> int:
    response = await http.post(f"{SANDBOX}/shoppers", json=body, headers=headers)
    assert response.status_code == 200, response.text
    shopper_id: int = response.json()["id"]
    return shopper_id


async def create_batch(
    http: httpx.AsyncClient, headers: dict[str, str], shopper_id: int, *order_ids: str, **body: Any
) -> httpx.Response:
    payload = {"shopper_id": shopper_id, "orders": [{"id": o} for o in order_ids], **body}
    return await http.post(f"{SANDBOX}/batches", json=payload, headers=headers)


async def picking(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    sessions: Sessions,
    *,
    service_type: str = "delivery",
    products: int = 3,
    workflow_state: str = "picking",
) -> Picking:
    arranged = await arrange_order(sessions, service_type=service_type, products=products)
    shopper_id = await create_shopper(http, headers)
    response = await create_batch(
        http, headers, shopper_id, arranged.order_id, workflow_state=workflow_state
    )
    assert response.status_code == 200, response.text
    return Picking(
        arranged.order_id, shopper_id, response.json()["id"], arranged.products, arranged.pk
    )


async def load_order(sessions: Sessions, order_id: str) -> Order:
    async with sessions() as session:
        order = await find_order(session, order_id)
        assert order is not None
        return order


async def load_batch(sessions: Sessions, batch_id: int) -> Batch:
    async with sessions() as session:
        batch = await session.get(Batch, batch_id)
        assert batch is not None
        return batch


async def events(sessions: Sessions, order_id: str) -> list[Event]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.order_id == order_id).order_by(Event.id)
        )
        return list(rows.all())


async def event_names(sessions: Sessions, order_id: str) -> list[str]:
    return [event.name for event in await events(sessions, order_id)]


def assert_error(
    response: httpx.Response,
    status: int,
    message: str | None,
    code: int | None,
    key: str | None = None,
) -> None:
    """A Connect error body: ``{"error": {"message", "code"}, "meta": {"key"?}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    if message is not None:
        assert body["error"]["message"] == message, body
    assert body["error"]["code"] == code, body
    assert body["meta"] == ({"key": key} if key else {}), body
