"""A stream ends within a second of its token's revocation (or its user's deactivation), in the
process that revoked it and in every other one."""

import contextlib
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.conftest import POSTGRES_URL
from tests.stream.helpers import Reader, Shop, record, served
from tests.stream.processes import arrange_order, scratch_database, two_servers

BUDGET_SECONDS = 1.0


async def ends_within(stream: Reader, seconds: float) -> float:
    """Reads the stream to its end; how long that took (at most ``seconds``)."""
    started = time.monotonic()
    assert await stream.ended(timeout=seconds)
    return time.monotonic() - started


async def test_revoking_the_token_ends_its_streams(
    app: FastAPI, http: httpx.AsyncClient, shop: Shop, creds: IssuedCredentials
) -> None:
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        contextlib.AsyncExitStack() as stack,
    ):
        readers = []
        for _ in range(3):
            response = await stack.enter_async_context(
                client.stream("GET", shop.path, headers=shop.headers)
            )
            readers.append(Reader(response))
            await readers[-1].opened()
        await factories.revoke(http, creds, shop.token)
        for reader in readers:
            await ends_within(reader, BUDGET_SECONDS)
        # And it cannot open another.
        assert (await client.get(shop.path, headers=shop.headers)).status_code == 401


async def test_only_the_streams_of_the_revoked_token_end(
    app: FastAPI, http: httpx.AsyncClient, shop: Shop, creds: IssuedCredentials
) -> None:
    other = Shop(
        shop.order, shop.other_order, await factories.user_token(http, creds, shop.order.user_id)
    )
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", shop.path, headers=shop.headers) as revoked_response,
        client.stream("GET", other.path, headers=other.headers) as kept_response,
    ):
        revoked, kept = Reader(revoked_response), Reader(kept_response)
        await revoked.opened()
        await kept.opened()
        await factories.revoke(http, creds, shop.token)
        await ends_within(revoked, BUDGET_SECONDS)
        event_id = await record(app.state.sessions, shop.order, step=1)
        assert (await kept.event()).id == str(event_id)


async def test_deactivating_the_user_ends_their_streams(
    app: FastAPI, http: httpx.AsyncClient, shop: Shop, client_headers: dict[str, str]
) -> None:
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", shop.path, headers=shop.headers) as response,
    ):
        stream = Reader(response)
        await stream.opened()
        path = f"/v2/fulfillment/users/{shop.order.user_id}"
        answer = await http.put(path, json={"active": False}, headers=client_headers)
        assert answer.status_code == 200, answer.text
        await ends_within(stream, BUDGET_SECONDS)


@pytest.mark.slow
async def test_a_revocation_through_one_process_ends_a_stream_on_another(
    tmp_path: Path,
) -> None:
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
        creds, user_id, order_id = await arrange_order(database_url)
        path = f"/v2/post_checkout/orders/{order_id}/events"
        async with two_servers(database_url, tmp_path) as (a, b):
            token = await factories.user_token(a, creds, user_id)
            async with b.stream("GET", path, headers=factories.bearer(token)) as response:
                assert response.status_code == 200
                stream = Reader(response)
                await stream.opened()
                await factories.revoke(a, creds, token)
                took = await ends_within(stream, BUDGET_SECONDS)
            assert took < BUDGET_SECONDS
