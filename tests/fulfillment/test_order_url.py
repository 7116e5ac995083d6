"""``order_url`` on the Order object: its signed token, its secret and its base URL. The page it
links to (docs.instacart.com/connect/post-checkout_guide/concepts/order_status_page/) is tested
in ``tests/web/test_order_status_page.py``."""

from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.config import Settings
from aftercart.db.server_secrets import kept_secret
from aftercart.fulfillment import status_tokens
from tests.conftest import suite_settings
from tests.fulfillment.helpers import Shop, arrange_shop, place_order

Sessions = async_sessionmaker[AsyncSession]
SECRET = b"k" * 32


# --- The signing, pure -----------------------------------------------------------------------


def test_the_right_token_verifies() -> None:
    token = status_tokens.sign(1, "o-1", SECRET)
    assert len(token) == 22
    assert status_tokens.verify("o-1", token, SECRET) == 1


def test_another_tenants_token_names_its_tenant() -> None:
    token = status_tokens.sign(7, "o-1", SECRET)
    assert token.startswith("7.")
    assert status_tokens.verify("o-1", token, SECRET) == 7
    # The tenant is signed: changing it breaks the token.
    assert status_tokens.verify("o-1", "8" + token[1:], SECRET) is None
    assert status_tokens.verify("o-1", token[2:], SECRET) is None
    assert token != status_tokens.sign(1, "o-1", SECRET)


@pytest.mark.parametrize("token", ["", "x", "A" * 22, "é" * 22, "2." + "A" * 22, "." * 3])
def test_a_wrong_token_does_not(token: str) -> None:
    assert status_tokens.verify("o-1", token, SECRET) is None


def test_a_token_is_for_one_order_and_one_secret() -> None:
    token = status_tokens.sign(1, "o-1", SECRET)
    assert status_tokens.verify("o-2", token, SECRET) is None
    assert status_tokens.verify("o-1", token, b"other secret") is None
    assert status_tokens.sign(1, "o-1", SECRET) == token


def test_the_url_escapes_the_order_id() -> None:
    url = status_tokens.status_url("https://shop.example/", 1, "a/b c", SECRET)
    assert url.startswith("https://shop.example/orders/a%2Fb%20c/status?token=")


async def test_a_generated_secret_is_made_once_and_kept(sessions: Sessions) -> None:
    first = await kept_secret(sessions, "order_url")
    assert len(first) == 64
    assert await kept_secret(sessions, "order_url") == first
    assert await kept_secret(sessions, "another") != first


async def test_two_apps_on_one_database_sign_alike(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, settings: Settings
) -> None:
    created = await place_order(http, client_headers, shop, "user-1", "o-2")
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as again:
            page = await again.get(created["order_url"])
    assert page.status_code == 200


# --- Over HTTP --------------------------------------------------------------------------------


@pytest.fixture
async def shop(sessions: Sessions) -> Shop:
    return await arrange_shop(sessions, products=2)


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return suite_settings(database_url, **getattr(request, "param", {}))


CONFIGURED = {"public_url": "https://orders.shop.example/", "order_url_secret": "s3cret-key"}


@pytest.mark.parametrize("settings", [CONFIGURED], indirect=True)
async def test_the_public_url_and_the_configured_secret_make_the_link(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    created = await place_order(http, client_headers, shop, "user-1", "o-9")
    expected = status_tokens.status_url("https://orders.shop.example", 1, "o-9", b"s3cret-key")
    assert created["order_url"] == expected
    path = urlsplit(expected)
    assert (await http.get(f"{path.path}?{path.query}")).status_code == 200
