"""The cap on open streams per token holds across real ``aftercart serve`` processes on one
database (SQLite here, PostgreSQL with ``AFTERCART_TEST_POSTGRES_URL``)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.conftest import POSTGRES_URL
from tests.stream.helpers import WAIT, Reader
from tests.stream.processes import arrange_order, scratch_database, two_servers

pytestmark = pytest.mark.slow

REFUSED = {
    "error": "This token already has 2 open event streams, the most it may have; close one first",
    "status": 409,
}


async def test_two_processes_hold_one_cap_per_token(tmp_path: Path) -> None:
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
        creds, user_id, order_id = await arrange_order(database_url)
        async with two_servers(database_url, tmp_path, max_streams_per_token="2") as (a, b):
            headers = factories.bearer(await factories.user_token(a, creds, user_id))
            path = f"/v2/post_checkout/orders/{order_id}/events"
            async with opened(a, path, headers):
                async with opened(a, path, headers):
                    async with b.stream("GET", path, headers=headers) as response:
                        assert response.status_code == 409
                        assert json.loads(await response.aread()) == REFUSED
                # Closed on the first server, the stream's place is free on the second (once
                # the first has noticed the client is gone).
                async with asyncio.timeout(WAIT):
                    while not await _opens(b, path, headers):
                        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def opened(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> AsyncIterator[None]:
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        # Kept while open: a reader dropped would close the response with its line iterator.
        stream = Reader(response)
        await stream.opened()
        yield


async def _opens(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> bool:
    async with client.stream("GET", path, headers=headers) as response:
        if response.status_code == 409:
            return False
        assert response.status_code == 200
        await Reader(response).opened()
        return True
