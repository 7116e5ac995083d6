"""A stream ends when its token expires, not at the end of its own lifetime."""

import time

import httpx
import pytest
from fastapi import FastAPI

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests import factories
from tests.conftest import suite_settings
from tests.stream.helpers import Reader, Shop, served

TTL_SECONDS = 2


@pytest.fixture
def settings(database_url: str) -> Settings:
    return suite_settings(database_url, token_ttl_seconds=TTL_SECONDS, stream_keepalive_seconds=0.3)


async def test_a_stream_ends_when_its_token_expires(
    app: FastAPI, http: httpx.AsyncClient, shop: Shop, creds: IssuedCredentials
) -> None:
    before = time.monotonic()
    token = await factories.user_token(http, creds, shop.order.user_id)
    after = time.monotonic()
    fresh = Shop(shop.order, shop.other_order, token)
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", fresh.path, headers=fresh.headers) as response,
    ):
        assert response.status_code == 200
        stream = Reader(response)
        await stream.opened()
        assert await stream.ended(timeout=TTL_SECONDS + 2)
        ended = time.monotonic()
    assert before + TTL_SECONDS - 0.1 <= ended <= after + TTL_SECONDS + 1.0
    assert (await http.get(fresh.path, headers=fresh.headers)).status_code == 401
