"""On PostgreSQL the limits hold across processes: two applications on one database (each with
its own memory, as two ``aftercart serve`` processes) share their counts."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests.conftest import requires_postgres
from tests.limits.helpers import credentials, limited, retry_after

pytestmark = requires_postgres

SYNC_SECONDS = 0.1
#: Long enough for both applications to have synced their API counts.
SYNCED = 5 * SYNC_SECONDS
PATH = "/v2/fulfillment/users/nobody"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(
        database_url,
        rate_limit_token_failures_per_client="3/minute",
        rate_limit_chat="off",
        rate_limit_api="6/minute",
        rate_limit_sync_seconds=SYNC_SECONDS,
    )


@contextlib.asynccontextmanager
async def another_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            yield client


async def test_failed_authentications_add_up_across_processes(
    http: httpx.AsyncClient, settings: Settings, creds: IssuedCredentials
) -> None:
    wrong = credentials(creds.client_id, "wrong", grant_type="client_credentials")
    right = credentials(creds.client_id, creds.client_secret, grant_type="client_credentials")
    async with another_process(settings) as other:
        for client in (http, other, http):
            assert (await client.post("/v2/oauth/token", json=wrong)).status_code == 401
        response = await other.post("/v2/oauth/token", json=right)
        retry_after(response, at_most=120)
        assert response.json()["error"] == "slow_down"


async def test_the_api_limit_adds_up_across_processes(
    http: httpx.AsyncClient, settings: Settings, client_headers: dict[str, str]
) -> None:
    async with another_process(settings) as other:
        for _ in range(4):
            assert (await http.get(PATH, headers=client_headers)).status_code == 400
        await asyncio.sleep(SYNCED)
        assert (await other.get(PATH, headers=client_headers)).status_code == 400
        await asyncio.sleep(SYNCED)
        assert (await other.get(PATH, headers=client_headers)).status_code == 400
        # Six in all: the other process refuses the seventh, though it served only two.
        retry_after(await other.get(PATH, headers=client_headers), at_most=120)
        await asyncio.sleep(SYNCED)
        retry_after(await http.get(PATH, headers=client_headers), at_most=120)
