"""``POST /security/oauth/token`` and ``aftercart marketplaces create``."""

import json

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from aftercart.auth.service import IssuedCredentials
from aftercart.cli.main import app as cli
from aftercart.config import Settings, get_settings
from aftercart.models import AccessToken, ApiClient
from tests import factories
from tests.marketplace.helpers import EXAMPLE_BODY, make_marketplace, marketplace_token


def _codes(response: httpx.Response) -> list[int]:
    assert response.status_code == 400, response.text
    items = response.json()
    assert all(set(item) == {"code", "description"} for item in items)
    return [item["code"] for item in items]


async def test_token_is_issued_for_marketplace_credentials(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marketplace = await make_marketplace(sessions)
    response = await http.post(
        "/security/oauth/token",
        content=(
            f"client_id={marketplace.client_id}&client_secret={marketplace.client_secret}"
            "&grant_type=client_credentials&scope=read%20write"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert list(response.json()) == ["access_token"]
    async with sessions() as session:
        row = await session.scalar(select(AccessToken))
    assert row is not None
    assert (row.client_id, row.grant_type, row.scope) == (
        marketplace.client_id,
        "marketplace",
        "read write",
    )


async def test_a_wrong_secret_is_400(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marketplace = await make_marketplace(sessions)
    form = {
        "client_id": marketplace.client_id,
        "client_secret": "wrong",
        "grant_type": "client_credentials",
    }
    assert _codes(await http.post("/security/oauth/token", data=form)) == [110]


async def test_connect_credentials_do_not_work_here(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    form = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "grant_type": "client_credentials",
    }
    assert _codes(await http.post("/security/oauth/token", data=form)) == [110]


async def test_marketplace_credentials_do_not_work_for_connect(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marketplace = await make_marketplace(sessions)
    response = await http.post(
        "/v2/oauth/token",
        json={
            "client_id": marketplace.client_id,
            "client_secret": marketplace.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 401


async def test_missing_fields_and_a_wrong_grant_are_all_reported(http: httpx.AsyncClient) -> None:
    response = await http.post("/security/oauth/token", data={"grant_type": "password"})
    assert _codes(response) == [100, 100, 111]


async def test_the_token_works_for_feedback(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    token = await marketplace_token(http, await make_marketplace(sessions))
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=factories.bearer(token))
    assert response.status_code == 200


async def test_cli_creates_a_marketplace_client(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AFTERCART_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = await anyio.to_thread.run_sync(
            lambda: CliRunner().invoke(cli, ["marketplaces", "create", "yandex_eats", "--json"])
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    credentials = json.loads(result.stdout)
    assert set(credentials) == {"client_id", "client_secret", "tenant_id"}
    async with sessions() as session:
        client = await session.get(ApiClient, credentials["client_id"])
    assert client is not None
    assert (client.kind, client.marketplace) == ("marketplace", "yandex_eats")
    assert client.secret_hash != credentials["client_secret"]
    await marketplace_token(http, IssuedCredentials(**credentials))


def test_cli_refuses_an_unknown_marketplace() -> None:
    result = CliRunner().invoke(cli, ["marketplaces", "create", "uber_eats"])
    assert result.exit_code == 2
