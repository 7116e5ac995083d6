"""Rate limits on ``POST /v2/oauth/token`` and ``/v2/oauth/token/revoke``: failed client
authentications first (per client_id and per address), then all attempts."""

import uuid

import httpx
import pytest

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests import factories
from tests.limits.helpers import TOKEN_LIMITS, Sessions, credentials, limited, retry_after

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(database_url, **TOKEN_LIMITS)


async def test_failed_authentications_of_a_client_id_are_limited(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    wrong = credentials(creds.client_id, "wrong", **GRANT)
    for _ in range(3):
        assert (await http.post("/v2/oauth/token", json=wrong)).status_code == 401
    # Refused before the credentials are checked: the right secret does not help now.
    right = credentials(creds.client_id, creds.client_secret, **GRANT)
    response = await http.post("/v2/oauth/token", json=right)
    retry_after(response, at_most=120)
    body = response.json()
    assert body["error"] == "slow_down"
    assert "failed client authentications" in body["error_description"]
    assert f"retry in {response.headers['retry-after']} seconds" in body["error_description"]
    revoke = credentials(creds.client_id, creds.client_secret, token="anything")
    response = await http.post("/v2/oauth/token/revoke", data=revoke)  # form-encoded too
    retry_after(response, at_most=120)
    assert response.json()["error"] == "slow_down"


async def test_failed_authentications_from_an_address_are_limited(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    for _ in range(5):  # each under a client_id of its own, so only the address adds up
        body = credentials(uuid.uuid4().hex, "wrong", **GRANT)
        assert (await http.post("/v2/oauth/token", json=body)).status_code == 401
    right = credentials(creds.client_id, creds.client_secret, **GRANT)
    retry_after(await http.post("/v2/oauth/token", json=right), at_most=120)


async def test_a_failed_revocation_counts_as_a_failure(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    wrong = credentials(creds.client_id, "wrong", token="anything")
    for _ in range(3):
        assert (await http.post("/v2/oauth/token/revoke", json=wrong)).status_code == 401
    right = credentials(creds.client_id, creds.client_secret, **GRANT)
    retry_after(await http.post("/v2/oauth/token", json=right), at_most=120)


async def test_successful_requests_are_not_failures_but_all_requests_are_limited(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    for _ in range(8):
        await factories.client_token(http, creds)
    right = credentials(creds.client_id, creds.client_secret, **GRANT)
    response = await http.post("/v2/oauth/token", json=right)
    retry_after(response, at_most=120)
    assert "Too many token requests" in response.json()["error_description"]
    # Another client from the same address is refused as well: the address has its own count.
    other = await factories.make_api_client(sessions)
    body = credentials(other.client_id, other.client_secret, **GRANT)
    retry_after(await http.post("/v2/oauth/token", json=body), at_most=120)


async def test_limits_that_are_off_never_refuse(
    http: httpx.AsyncClient, creds: IssuedCredentials, database_url: str
) -> None:
    wrong = credentials(creds.client_id, "wrong", **GRANT)
    for _ in range(3):
        await http.post("/v2/oauth/token", json=wrong)
    assert (await http.post("/v2/oauth/token", json=wrong)).status_code == 429
    app = create_app(limited(database_url), migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as unlimited:
            for _ in range(20):
                assert (await unlimited.post("/v2/oauth/token", json=wrong)).status_code == 401
