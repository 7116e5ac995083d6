import json

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.secrets import digest
from aftercart.models import ApiClient
from tests.cli.helpers import cli


async def test_create_json_prints_working_credentials_once(
    db_url: str, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    result = await cli(db_url, "clients", "create", "--name", "Corner Grocer", "--json")
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert set(issued) == {"client_id", "client_secret", "tenant_id"}

    response = await http.post(
        "/v2/oauth/token",
        json={**issued, "grant_type": "client_credentials"},
    )
    assert response.status_code == 200, response.text

    async with sessions() as session:
        client = await session.get(ApiClient, issued["client_id"])
    assert client is not None
    assert (client.name, client.kind) == ("Corner Grocer", "connect")
    assert client.secret_hash == digest(issued["client_secret"])
    assert issued["client_secret"] not in client.secret_hash


async def test_create_prints_id_and_secret_for_people(db_url: str) -> None:
    result = await cli(db_url, "clients", "create", "--name", "Shop")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("client_id:")
    assert lines[1].startswith("client_secret:")
    assert "only its hash is stored" in result.stderr


async def test_list_shows_ids_names_and_kinds_never_secrets(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await cli(db_url, "clients", "create", "--name", "Shop A", "--json")
    issued = json.loads(created.stdout)

    listed = await cli(db_url, "clients", "list")
    assert listed.exit_code == 0
    assert issued["client_id"] in listed.stdout
    assert "Shop A" in listed.stdout
    assert "connect" in listed.stdout

    as_json = json.loads((await cli(db_url, "clients", "list", "--json")).stdout)
    assert [(c["client_id"], c["name"], c["kind"]) for c in as_json] == [
        (issued["client_id"], "Shop A", "connect")
    ]
    async with sessions() as session:
        secret_hash = await session.scalar(select(ApiClient.secret_hash))
    for output in (listed.output, json.dumps(as_json)):
        assert issued["client_secret"] not in output
        assert str(secret_hash) not in output
