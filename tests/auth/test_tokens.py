"""POST /v2/oauth/token (Connect's "Generate an access token",
https://docs.instacart.com/connect/api/access_tokens) and /v2/oauth/token/revoke."""

import base64
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.models import AccessToken
from tests import factories


def _body(creds: IssuedCredentials, **extra: str) -> dict[str, str]:
    return {"client_id": creds.client_id, "client_secret": creds.client_secret, **extra}


async def test_client_credentials_token_has_both_client_scopes(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    response = await http.post(
        "/v2/oauth/token", json=_body(creds, grant_type="client_credentials")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert set(body["scope"].split()) == {"connect:fulfillment", "Connect::Orders::RatingService"}
    assert isinstance(body["created_at"], int)
    assert len(body["access_token"]) >= 40


async def test_form_encoded_body_is_accepted(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    response = await http.post(
        "/v2/oauth/token",
        data=_body(creds, grant_type="client_credentials", scope="connect:fulfillment"),
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "connect:fulfillment"


async def test_user_assertion_token_has_user_scopes(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        await factories.insert_user(session, user_id="kamalsingh1234")
        await session.commit()
    assertion = base64.b64encode(b'{ "user_id": "kamalsingh1234" }').decode()
    assert assertion == "eyAidXNlcl9pZCI6ICJrYW1hbHNpbmdoMTIzNCIgfQ=="
    response = await http.post(
        "/v2/oauth/token",
        json=_body(creds, grant_type="fulfillment_user_assertion", assertion=assertion),
    )
    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == {
        "connect:post_checkout",
        "Connect::Orders::RatingService",
    }


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "connect:nothing"}, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "connect:post_checkout"}, "invalid_scope"),
        ({"grant_type": "fulfillment_user_assertion", "assertion": "%%%"}, "invalid_grant"),
        ({"grant_type": "fulfillment_user_assertion"}, "invalid_grant"),
        (
            {
                "grant_type": "fulfillment_user_assertion",
                "assertion": factories.assertion("nobody"),
            },
            "invalid_grant",
        ),
        ({}, "invalid_request"),
    ],
)
async def test_bad_token_requests_are_400_in_oauth_shape(
    http: httpx.AsyncClient, creds: IssuedCredentials, extra: dict[str, str], error: str
) -> None:
    response = await http.post("/v2/oauth/token", json=_body(creds, **extra))
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


async def test_malformed_json_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v2/oauth/token", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("secret", ["wrong", None])
async def test_wrong_or_missing_secret_is_401(
    http: httpx.AsyncClient, creds: IssuedCredentials, secret: str | None
) -> None:
    body = {"client_id": creds.client_id, "grant_type": "client_credentials"}
    if secret:
        body["client_secret"] = secret
    response = await http.post("/v2/oauth/token", json=body)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_unknown_client_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v2/oauth/token",
        json={"client_id": "x", "client_secret": "y", "grant_type": "client_credentials"},
    )
    assert response.status_code == 401


async def test_credentials_in_query_string_are_403(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    response = await http.post(
        "/v2/oauth/token",
        params={"client_id": creds.client_id, "client_secret": creds.client_secret},
        json={"grant_type": "client_credentials"},
    )
    assert response.status_code == 403
    assert response.json()["error"] == "query_params_forbidden"


async def test_only_the_issuing_client_may_revoke(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    token = await factories.client_token(http, creds)
    other = await factories.make_api_client(sessions, name="Someone else")
    refused = await http.post("/v2/oauth/token/revoke", json=_body(other, token=token))
    assert refused.status_code == 403
    assert refused.json()["error"] == "unauthorized_client"
    assert (
        await http.get("/v2/fulfillment/users/u1", headers=factories.bearer(token))
    ).status_code != 401

    revoked = await http.post("/v2/oauth/token/revoke", json=_body(creds, token=token))
    assert revoked.status_code == 200
    assert revoked.json() == {}
    after = await http.get("/v2/fulfillment/users/u1", headers=factories.bearer(token))
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "The access token is invalid"


async def test_expired_token_is_401(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    token = await factories.client_token(http, creds)
    async with sessions() as session:
        await session.execute(
            update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    response = await http.get("/v2/fulfillment/users/u1", headers=factories.bearer(token))
    assert response.status_code == 401
