"""Every fulfillment endpoint wants a client-credentials token with ``connect:fulfillment``."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth import scopes
from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.fulfillment.helpers import create_user

U = "/v2/fulfillment/users/user-1"
ENDPOINTS = [
    ("POST", "/v2/fulfillment/users"),
    ("GET", U),
    ("PUT", U),
    ("POST", "/v2/fulfillment/stores/delivery"),
    ("POST", "/v2/fulfillment/stores/pickup"),
    ("POST", f"{U}/service_options/cart/delivery"),
    ("POST", f"{U}/service_options/cart/pickup"),
    ("POST", f"{U}/service_options/1/reserve"),
    ("POST", f"{U}/orders/delivery"),
    ("POST", f"{U}/orders/pickup"),
    ("GET", f"{U}/orders/o-1"),
    ("PUT", f"{U}/orders/o-1"),
    ("POST", f"{U}/orders/o-1/cancel"),
]


@pytest.fixture
async def tokens(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> dict[str, dict[str, str]]:
    await create_user(http, client_headers, "user-1")
    return {
        "none": {},
        "unknown": factories.bearer("not-a-token"),
        "user": factories.bearer(await factories.user_token(http, creds, "user-1")),
        "rating only": factories.bearer(
            await factories.client_token(http, creds, scope=scopes.RATING)
        ),
    }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_tokens_are_checked(
    http: httpx.AsyncClient, tokens: dict[str, dict[str, str]], method: str, path: str
) -> None:
    expected = {"none": 401, "unknown": 401, "user": 403, "rating only": 403}
    for kind, headers in tokens.items():
        response = await http.request(method, path, json={}, headers=headers)
        assert response.status_code == expected[kind], (kind, response.text)
        assert set(response.json()) == {"error", "meta"}
