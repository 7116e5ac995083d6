"""A delivery order walked by the sandbox's shopper, and its events as webhooks carry them."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events.envelope import envelope
from aftercart.models import Event, Order, ShopperLocation, Store
from tests.post_checkout.helpers import BASE, SANDBOX, Scenario, arrange, shopper_batch
from tests.webhooks.helpers import payload_errors

Sessions = async_sessionmaker[AsyncSession]
#: The customer's door: a block east of the factory store.
CUSTOMER = (37.7864, -122.3892)


@dataclass
class Trip:
    order: Scenario
    shopper_id: int
    batch_id: int
    store: tuple[float, float]

    @property
    def location(self) -> str:
        return f"{BASE}/orders/{self.order.order_id}/location"

    @property
    def shopper_messages(self) -> str:
        """Where the sandbox's shopper sends chat messages on the order."""
        return f"{SANDBOX}/shoppers/{self.shopper_id}/orders/{self.order.order_id}/messages"

    @property
    def advance(self) -> str:
        return f"{SANDBOX}/batches/{self.batch_id}/advance"


async def trip(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
    *,
    workflow_state: str = "checkout",
) -> Trip:
    """A brand-new delivery order at :data:`CUSTOMER`, taken by a sandbox shopper whose batch
    is walked to ``workflow_state`` through the sandbox API."""
    order = await arrange(
        http,
        sessions,
        creds,
        workflow_state="brand_new",
        latitude=CUSTOMER[0],
        longitude=CUSTOMER[1],
    )
    shopper_id, batch_id = await shopper_batch(http, client_headers, order.order_id, workflow_state)
    async with sessions() as session:
        store = await session.scalar(
            select(Store)
            .join(Order, Order.location_code == Store.location_code)
            .where(Order.order_id == order.order_id)
        )
        assert store is not None
    return Trip(order, shopper_id, batch_id, (store.latitude, store.longitude))


async def emitted(sessions: Sessions, order_id: str, name: str) -> list[dict[str, Any]]:
    """The order's events of ``name``, in the callback envelope webhooks and streams send."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Event).where(Event.order_id == order_id, Event.name == name).order_by(Event.id)
        )
        return [
            envelope(event_id=r.id, name=r.name, created_at=r.created_at, metadata=r.metadata_)
            for r in rows
        ]


async def positions(sessions: Sessions, order_id: str) -> list[tuple[float, float]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ShopperLocation.latitude, ShopperLocation.longitude)
            .join(Order, Order.id == ShopperLocation.order_pk)
            .where(Order.order_id == order_id)
            .order_by(ShopperLocation.seq)
        )
        return [(lat, lon) for lat, lon in rows]


async def one_valid(sessions: Sessions, order_id: str, name: str) -> dict[str, Any]:
    """The order's one event of ``name``, checked against its AsyncAPI message."""
    [callback] = await emitted(sessions, order_id, name)
    assert payload_errors(callback) == [], callback
    return callback
