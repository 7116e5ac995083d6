"""Each kind of bad token against each endpoint group: 401 or 403, in the group's
own error envelope, and never a change."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth import secrets as secrets_module
from aftercart.auth.scopes import FULFILLMENT, POST_CHECKOUT, RATING
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.models import AccessToken
from tests import factories


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    grant: str  # "client" or "user"
    scope: str
    body: dict[str, object] | None = None


ENDPOINTS = {
    "fulfillment": Endpoint(
        "POST", "/v2/fulfillment/users", "client", FULFILLMENT, {"user_id": "x"}
    ),
    "sandbox": Endpoint("POST", "/v2/fulfillment_sandbox/shoppers", "client", FULFILLMENT, {}),
    "post_checkout": Endpoint("GET", "/v2/post_checkout/orders/o1/items", "user", POST_CHECKOUT),
    "chat": Endpoint("GET", "/v2/post_checkout/chat/o1/messages", "user", POST_CHECKOUT),
    "stream": Endpoint("GET", "/v2/post_checkout/orders/o1/events", "user", POST_CHECKOUT),
    "rating_frontend": Endpoint(
        "POST", "/v2/feedback/orders/o1/rating", "user", RATING, {"rating_value": "STARS5"}
    ),
    "rating_backend": Endpoint(
        "POST",
        "/v2/feedback/users/u1/orders/o1/rating",
        "client",
        RATING,
        {"rating_value": "STARS5"},
    ),
    "ratings_list": Endpoint("GET", "/v2/feedback/ratings", "client", RATING),
    "webhooks": Endpoint("GET", "/v2/webhooks", "client", FULFILLMENT),
}

OTHER_SCOPE = {
    ("client", FULFILLMENT): RATING,
    ("client", RATING): FULFILLMENT,
    ("user", POST_CHECKOUT): RATING,
    ("user", RATING): POST_CHECKOUT,
}

TokenMaker = Callable[[Endpoint], Awaitable[str | None]]


@pytest.fixture
async def tokens(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, TokenMaker]:
    async with sessions() as session:
        await factories.insert_user(session, user_id="u1")
        await session.commit()

    async def issue(grant: str, scope: str | None = None) -> str:
        if grant == "client":
            return await factories.client_token(http, creds, scope)
        return await factories.user_token(http, creds, "u1", scope)

    async def missing(_: Endpoint) -> str | None:
        return None

    async def garbage(_: Endpoint) -> str | None:
        return "not-a-token"

    async def expired(endpoint: Endpoint) -> str | None:
        token = await issue(endpoint.grant)
        async with sessions() as session:
            await session.execute(
                update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        return token

    async def revoked(endpoint: Endpoint) -> str | None:
        token = await issue(endpoint.grant)
        response = await http.post(
            "/v2/oauth/token/revoke",
            json={
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "token": token,
            },
        )
        assert response.status_code == 200
        return token

    async def wrong_grant(endpoint: Endpoint) -> str | None:
        return await issue("user" if endpoint.grant == "client" else "client")

    async def wrong_scope(endpoint: Endpoint) -> str | None:
        return await issue(endpoint.grant, OTHER_SCOPE[(endpoint.grant, endpoint.scope)])

    return {
        "missing": missing,
        "garbage": garbage,
        "expired": expired,
        "revoked": revoked,
        "wrong_grant": wrong_grant,
        "wrong_scope": wrong_scope,
    }


EXPECTED_STATUS = {
    "missing": 401,
    "garbage": 401,
    "expired": 401,
    "revoked": 401,
    "wrong_grant": 403,
    "wrong_scope": 403,
}


@pytest.mark.parametrize("group", list(ENDPOINTS))
@pytest.mark.parametrize("kind", list(EXPECTED_STATUS))
async def test_bad_token_is_refused_in_the_groups_envelope(
    http: httpx.AsyncClient, tokens: dict[str, TokenMaker], group: str, kind: str
) -> None:
    endpoint = ENDPOINTS[group]
    token = await tokens[kind](endpoint)
    headers = factories.bearer(token) if token else {}
    response = await http.request(
        endpoint.method, endpoint.path, json=endpoint.body, headers=headers
    )
    expected = EXPECTED_STATUS[kind]
    assert response.status_code == expected, response.text
    body = response.json()
    if endpoint.path.startswith("/v2/post_checkout"):
        assert body == {"error": body["error"], "status": expected}
        assert isinstance(body["error"], str)
    else:
        assert set(body) == {"error", "meta"}
        assert body["error"]["message"]


def test_a_client_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command line would read it as an option; the generator draws again."""
    draws = iter(["-mFirstDraw", "-xSecond", "kThird"])
    monkeypatch.setattr(secrets_module.secrets, "token_urlsafe", lambda _n: next(draws))
    assert secrets_module.new_client_id() == "kThird"
