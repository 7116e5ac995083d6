"""Caps on what a client or a token may hold at once: live tokens, webhook subscriptions and
open event streams. Each is a 4xx in the path's envelope that says what to do."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from aftercart.auth.secrets import digest
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.models import AccessToken, StreamLease
from tests import factories
from tests.limits.helpers import Sessions, credentials, limited
from tests.stream.helpers import Reader, Shop, arrange, served
from tests.webhooks.helpers import RECEIVER

GRANT = {"grant_type": "client_credentials"}
#: How far from now the stream leases a test writes expire, or expired.
LATER = timedelta(minutes=1)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(
        database_url,
        max_tokens_per_client=2,
        max_webhooks_per_client=2,
        max_streams_per_token=2,
    )


async def test_a_client_holds_only_so_many_live_tokens(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    first = await factories.client_token(http, creds)
    await factories.client_token(http, creds)
    body = credentials(creds.client_id, creds.client_secret, **GRANT)
    response = await http.post("/v2/oauth/token", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "This client already holds 2 live tokens, the most it may; "
        "reuse one until it expires, or revoke one",
    }
    # The tokens in use keep working: none was revoked to make room.
    assert (
        await http.get("/v2/fulfillment/users/nobody", headers=factories.bearer(first))
    ).status_code == 400
    revoke = credentials(creds.client_id, creds.client_secret, token=first)
    assert (await http.post("/v2/oauth/token/revoke", json=revoke)).status_code == 200
    assert (await http.post("/v2/oauth/token", json=body)).status_code == 200


async def test_expired_tokens_do_not_count(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    await factories.client_token(http, creds)
    await factories.client_token(http, creds)
    async with sessions() as session:
        await session.execute(update(AccessToken).values(expires_at=utcnow()))
        await session.commit()
    await factories.client_token(http, creds)


async def test_a_client_has_only_so_many_webhook_subscriptions(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    created = []
    for _ in range(2):
        response = await http.post("/v2/webhooks", json={"url": RECEIVER}, headers=client_headers)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    response = await http.post("/v2/webhooks", json={"url": RECEIVER}, headers=client_headers)
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "message": "This client already has 2 webhook subscriptions, the most it may have; "
            "delete one first",
            "code": 6409,
        },
        "meta": {},
    }
    deleted = await http.delete(f"/v2/webhooks/{created[0]}", headers=client_headers)
    assert deleted.status_code in (200, 204)
    response = await http.post("/v2/webhooks", json={"url": RECEIVER}, headers=client_headers)
    assert response.status_code == 201


@contextlib.asynccontextmanager
async def opened(client: httpx.AsyncClient, shop: Shop) -> AsyncIterator[Reader]:
    async with client.stream("GET", shop.path, headers=shop.headers) as response:
        assert response.status_code == 200
        stream = Reader(response)
        await stream.opened()
        yield stream


async def test_a_token_holds_only_so_many_open_streams(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    shop = await arrange(sessions, http, creds)
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        async with opened(client, shop), opened(client, shop):
            response = await client.get(shop.path, headers=shop.headers)
            assert response.status_code == 409
            assert response.json() == {
                "error": "This token already has 2 open event streams, the most it may have; "
                "close one first",
                "status": 409,
            }
            # Another token of the same user is not held back.
            token = await factories.user_token(http, creds, shop.order.user_id)
            async with opened(client, Shop(shop.order, shop.other_order, token)):
                pass
        # Closed streams give their places back (once the server has noticed).
        async with asyncio.timeout(5):
            while app.state.stream_tokens.streams_of(digest(shop.token)):
                await asyncio.sleep(0.02)
        async with opened(client, shop), opened(client, shop):
            pass


async def test_streams_held_by_other_processes_count_unless_their_lease_expired(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    shop = await arrange(sessions, http, creds)
    token_hash = digest(shop.token)
    now = utcnow()
    async with sessions() as session:
        # A stream of a live process, and one of a process that died a while ago.
        session.add(StreamLease(token_hash=token_hash, owner="live", expires_at=now + LATER))
        session.add(StreamLease(token_hash=token_hash, owner="dead", expires_at=now - LATER))
        await session.commit()
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        async with opened(client, shop):
            async with client.stream("GET", shop.path, headers=shop.headers) as response:
                assert response.status_code == 409
        # The dead process's lease was swept; this process's own is gone with its stream.
        async with asyncio.timeout(5):
            while await _owners(sessions, token_hash) != ["live"]:
                await asyncio.sleep(0.02)


async def _owners(sessions: Sessions, token_hash: str) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(StreamLease.owner).where(StreamLease.token_hash == token_hash)
        )
        return sorted(found)
