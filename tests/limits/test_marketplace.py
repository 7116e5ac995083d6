"""Rate limits on the marketplace endpoints: ``POST /security/oauth/token`` under the token
limits (counted with Connect's token endpoints), ``POST /v1/feedback`` under the per-client API
limit; 429 in the marketplace's own envelope, with ``Retry-After``."""

import asyncio
import uuid

import httpx
import pytest

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.events import names
from tests import factories
from tests.feedback.helpers import count_events, ratings
from tests.limits.helpers import TOKEN_LIMITS, Sessions, credentials, limited, retry_after
from tests.marketplace.helpers import feedback_body, make_marketplace, marketplace_token
from tests.test_openapi import Contract

TOKEN = "/security/oauth/token"
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(database_url, **TOKEN_LIMITS, rate_limit_api="3/minute")


def refused(response: httpx.Response, message: str) -> None:
    """A 429 in the marketplace envelope, its description naming ``Retry-After``."""
    seconds = retry_after(response, at_most=120)
    description = f"{message}; retry in {seconds} seconds"
    assert response.json() == [{"code": 6429, "description": description}]


async def test_failed_authentications_of_a_client_id_are_limited(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    marketplace = await make_marketplace(sessions)
    wrong = credentials(marketplace.client_id, "wrong", **GRANT)
    for _ in range(3):
        response = await http.post(TOKEN, data=wrong)
        assert response.status_code == 400
        assert response.json()[0]["code"] == 110
    # Refused before the credentials are checked: the right secret does not help now.
    right = credentials(marketplace.client_id, marketplace.client_secret, **GRANT)
    refused(await http.post(TOKEN, data=right), "Too many failed client authentications")
    refused(await http.post(TOKEN, json=right), "Too many failed client authentications")
    # Another client from the same address goes on (the address is under its own limit).
    await marketplace_token(http, await make_marketplace(sessions))


async def test_failed_authentications_from_an_address_are_limited_with_connects(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    # Each under a client_id of its own, so only the address adds up, on both token endpoints.
    for _ in range(3):
        body = credentials(uuid.uuid4().hex, "wrong", **GRANT)
        assert (await http.post(TOKEN, data=body)).status_code == 400
    for _ in range(2):
        body = credentials(uuid.uuid4().hex, "wrong", **GRANT)
        assert (await http.post("/v2/oauth/token", json=body)).status_code == 401
    marketplace = await make_marketplace(sessions)
    right = credentials(marketplace.client_id, marketplace.client_secret, **GRANT)
    refused(await http.post(TOKEN, data=right), "Too many failed client authentications")
    connect = credentials(creds.client_id, creds.client_secret, **GRANT)
    response = await http.post("/v2/oauth/token", json=connect)
    retry_after(response, at_most=120)
    assert response.json()["error"] == "slow_down"


async def test_successful_requests_are_not_failures_but_all_requests_are_limited(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    marketplace = await make_marketplace(sessions)
    for _ in range(8):
        await marketplace_token(http, marketplace)
    right = credentials(marketplace.client_id, marketplace.client_secret, **GRANT)
    refused(await http.post(TOKEN, data=right), "Too many token requests")


async def test_after_retry_after_the_right_secret_gets_a_token(
    sessions: Sessions, database_url: str
) -> None:
    marketplace = await make_marketplace(sessions)
    app = create_app(
        limited(database_url, rate_limit_token_failures_per_client="2/second"), migrate=False
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            wrong = credentials(marketplace.client_id, "wrong", **GRANT)
            for _ in range(2):
                assert (await http.post(TOKEN, data=wrong)).status_code == 400
            right = credentials(marketplace.client_id, marketplace.client_secret, **GRANT)
            response = await http.post(TOKEN, data=right)
            await asyncio.sleep(retry_after(response, at_most=2))
            await marketplace_token(http, marketplace)


async def test_feedback_is_limited_per_marketplace_client(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    headers = factories.bearer(await marketplace_token(http, await make_marketplace(sessions)))
    for n in range(3):
        response = await http.post("/v1/feedback", json=feedback_body(id=f"f{n}"), headers=headers)
        assert response.status_code == 200, response.text
    response = await http.post("/v1/feedback", json=feedback_body(id="f3"), headers=headers)
    refused(response, "Too many requests for this client")
    # The refused push stored nothing.
    assert sorted(row.external_id for row in await ratings(sessions)) == ["f0", "f1", "f2"]
    assert await count_events(sessions, names.MARKETPLACE_FEEDBACK) == 3
    # Another marketplace client has its own count.
    other = factories.bearer(await marketplace_token(http, await make_marketplace(sessions)))
    response = await http.post("/v1/feedback", json=feedback_body(id="f3"), headers=other)
    assert response.status_code == 200, response.text


async def test_the_429s_are_as_the_openapi_document_says(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    contract = Contract((await http.get("/openapi.json")).json())
    marketplace = await make_marketplace(sessions)
    headers = factories.bearer(await marketplace_token(http, marketplace))
    for _ in range(3):
        await http.post("/v1/feedback", json=feedback_body(), headers=headers)
    response = await http.post("/v1/feedback", json=feedback_body(), headers=headers)
    assert response.status_code == 429
    contract.check("POST", "/v1/feedback", response)
    wrong = credentials(marketplace.client_id, "wrong", **GRANT)
    for _ in range(4):
        response = await http.post(TOKEN, data=wrong)
    assert response.status_code == 429
    contract.check("POST", TOKEN, response)
    example = contract.operation("POST", TOKEN)["responses"]["429"]["content"]["application/json"]
    assert example["example"] == [
        {"code": 6429, "description": "Too many token requests; retry in 12 seconds"}
    ]
