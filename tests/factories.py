"""Small factories for tests: rows straight into the database, and tokens through the API."""

import base64
import itertools
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum import ean

from aftercart.auth import service as auth_service
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.models import Base, Order, OrderItem, Product, Store, User
from aftercart.models.tenant import DEFAULT_TENANT

_counter = itertools.count(1)
RowT = TypeVar("RowT", bound=Base)


async def added(session: AsyncSession, row: RowT) -> RowT:
    """``row``, added and flushed (so that its generated columns are set)."""
    session.add(row)
    await session.flush()
    return row


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upc(seed: int) -> str:
    """A valid UPC-A (12 digits, correct check digit) derived from ``seed``."""
    body = f"0{seed:010d}"[-11:]
    return body + ean.calc_check_digit(body)


def assertion(user_id: str) -> str:
    return base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()


async def make_api_client(
    sessions: async_sessionmaker[AsyncSession],
    name: str = "Test retailer",
    *,
    tenant_id: int | None = DEFAULT_TENANT,
) -> IssuedCredentials:
    """A client of the default tenant (whose rows the other factories make), or of
    ``tenant_id``, or of a tenant of its own (``None``)."""
    async with sessions() as session:
        issued = await auth_service.create_client(session, name=name, tenant_id=tenant_id)
        await session.commit()
    return issued


async def other_tenant_headers(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    """Headers with a client-credentials token of a client in a tenant of its own."""
    other = await make_api_client(sessions, "Another retailer", tenant_id=None)
    return bearer(await client_token(http, other))


async def _token(
    http: httpx.AsyncClient, creds: IssuedCredentials, scope: str | None, **grant: str
) -> str:
    body: dict[str, Any] = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        **grant,
    }
    if scope:
        body["scope"] = scope
    response = await http.post("/v2/oauth/token", json=body)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def client_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, scope: str | None = None
) -> str:
    return await _token(http, creds, scope, grant_type="client_credentials")


async def user_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, user_id: str, scope: str | None = None
) -> str:
    return await _token(
        http,
        creds,
        scope,
        grant_type="fulfillment_user_assertion",
        assertion=assertion(user_id),
    )


async def revoke(http: httpx.AsyncClient, creds: IssuedCredentials, token: str) -> None:
    body = {"client_id": creds.client_id, "client_secret": creds.client_secret, "token": token}
    response = await http.post("/v2/oauth/token/revoke", json=body)
    assert response.status_code == 200, response.text


async def insert_user(session: AsyncSession, **overrides: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {
        "tenant_id": DEFAULT_TENANT,
        "user_id": f"user-{n}",
        "first_name": "Ada",
        "last_name": "Byron",
    }
    return await added(session, User(**values | overrides))


async def insert_store(session: AsyncSession, **overrides: Any) -> Store:
    n = next(_counter)
    values: dict[str, Any] = {
        "location_code": f"store-{n}",
        "name": "Corner Grocer",
        "address_line_1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "latitude": 37.7936,
        "longitude": -122.3958,
        "pickup": True,
        "delivery": True,
    }
    return await added(session, Store(**values | overrides))


async def insert_product(session: AsyncSession, **overrides: Any) -> Product:
    n = next(_counter)
    values: dict[str, Any] = {
        "upc": upc(1000 + n),
        "name": f"Product {n}",
        "size": "1 ct",
        "unit_price": Decimal("2.99"),
    }
    return await added(session, Product(**values | overrides))


async def insert_order(
    session: AsyncSession,
    *,
    user: User,
    store: Store,
    products: list[Product],
    service_type: str = "delivery",
    workflow_state: str = "brand_new",
    **overrides: Any,
) -> Order:
    """An order with one counted line per product (``line_num`` "1", "2", ...)."""
    n = next(_counter)
    start = utcnow() + timedelta(hours=2)
    values: dict[str, Any] = {
        "order_id": f"order-{n}",
        "tenant_id": user.tenant_id,
        "user_id": user.user_id,
        "service_type": service_type,
        "workflow_state": workflow_state,
        "location_code": store.location_code,
        "window_starts_at": start,
        "window_ends_at": start + timedelta(hours=1),
        "initial_tip_cents": 500,
        "special_instructions": "Ring the bell",
        "customer": {},
        "address": {"address_line_1": "500 Howard St", "postal_code": "94105"}
        if service_type == "delivery"
        else None,
    }
    order = await added(session, Order(**values | overrides))
    for index, product in enumerate(products, start=1):
        session.add(
            OrderItem(order_pk=order.id, line_num=str(index), product_id=product.id, count=2)
        )
    await session.flush()
    return order
