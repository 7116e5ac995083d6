"""A pickup order walked by the sandbox to ``staged``, and the calls on it."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from tests.post_checkout.helpers import BASE, SANDBOX, Scenario, arrange, shopper_batch

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Pickup:
    order: Scenario
    shopper_id: int
    batch_id: int

    def url(self, operation: str) -> str:
        return f"{BASE}/orders/{self.order.order_id}/{operation}"

    @property
    def headers(self) -> dict[str, str]:
        return self.order.headers


async def staged_pickup(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
    *,
    workflow_state: str = "staged",
    **order_values: Any,
) -> Pickup:
    """A brand-new pickup order taken by a sandbox shopper and walked to ``workflow_state``."""
    order = await arrange(
        http, sessions, creds, workflow_state="brand_new", service_type="pickup", **order_values
    )
    shopper_id, batch_id = await shopper_batch(http, client_headers, order.order_id, workflow_state)
    return Pickup(order, shopper_id, batch_id)


async def runner_batch(
    http: httpx.AsyncClient, client_headers: dict[str, str], pickup: Pickup, **body: Any
) -> httpx.Response:
    return await http.post(
        f"{SANDBOX}/batches",
        json={
            "shopper_id": pickup.shopper_id,
            "batch_type": "runner_customer",
            "orders": [{"id": pickup.order.order_id}],
            **body,
        },
        headers=client_headers,
    )


async def advance(
    http: httpx.AsyncClient, client_headers: dict[str, str], batch_id: int, state: str | None
) -> httpx.Response:
    body = {"workflow_state": state} if state else {}
    return await http.post(
        f"{SANDBOX}/batches/{batch_id}/advance", json=body, headers=client_headers
    )


def assert_connect_error(
    response: httpx.Response, status: int, message: str, code: int, meta: dict[str, str]
) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"message": message, "code": code}, "meta": meta}
