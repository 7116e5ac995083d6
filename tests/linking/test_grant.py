"""The authorization_code grant of POST /v2/oauth/token (Connect's "Generate a linking token",
https://docs.instacart.com/connect/api/fulfillment/users/generate_linking_token): codes from the
sandbox's authorize, single use, 10 minutes, bound to their client and redirect_uri, PKCE."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.secrets import digest
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.linking.rules import CODE_TTL
from aftercart.models import AccessToken, AuthorizationCode
from tests import factories
from tests.linking.helpers import (
    CHALLENGE,
    REDIRECT,
    TOKEN,
    VERIFIER,
    Headers,
    authorize,
    create_account,
    error_of,
    exchange,
    link,
    token_body,
)

Sessions = async_sessionmaker[AsyncSession]


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert body["error_description"], body


@pytest.fixture
async def account(http: httpx.AsyncClient, client_headers: Headers) -> int:
    return await create_account(http, client_headers)


@pytest.fixture
async def code(http: httpx.AsyncClient, client_headers: Headers, account: int) -> str:
    """A code the sandbox's authorize gave this client for ``account``."""
    return await authorize(http, client_headers, account)


async def _expire(sessions: Sessions, code: str) -> None:
    async with sessions() as session:
        await session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == digest(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def test_a_good_code_gives_a_linking_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, sessions: Sessions
) -> None:
    response = await exchange(http, creds, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "created_at"}
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "account_linking"
    assert body["expires_in"] == 86400
    async with sessions() as session:
        row = await session.get(AuthorizationCode, digest(code))
        assert row is not None
        assert row.used_at is not None
        assert row.token_hash == digest(body["access_token"])
        token = await session.scalar(
            select(AccessToken).where(AccessToken.token_hash == row.token_hash)
        )
        assert token is not None
        assert (token.grant_type, token.client_id) == ("authorization_code", creds.client_id)


async def test_the_token_may_be_asked_for_its_scope_and_in_a_form(
    http: httpx.AsyncClient, creds: IssuedCredentials, client_headers: Headers, account: int
) -> None:
    code = await authorize(http, client_headers, account, scope="openid account_linking")
    form = token_body(creds, code=code, redirect_uri=REDIRECT, scope="account_linking")
    response = await http.post(TOKEN, data=form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "account_linking"


@pytest.mark.parametrize("scope", ["connect:fulfillment", "account_linking connect:fulfillment"])
async def test_a_scope_the_code_does_not_give_is_invalid_scope(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, scope: str
) -> None:
    assert_oauth_error(await exchange(http, creds, code, scope=scope), "invalid_scope")
    # Refused before the code was looked at: it still works.
    assert (await exchange(http, creds, code)).status_code == 200


async def test_account_linking_is_not_a_client_credentials_scope(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    body = token_body(creds, "client_credentials", scope="account_linking")
    assert_oauth_error(await http.post(TOKEN, json=body), "invalid_scope")


async def test_a_reused_code_is_refused_and_revokes_the_token_it_gave(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    code: str,
    sessions: Sessions,
) -> None:
    first = await exchange(http, creds, code)
    assert first.status_code == 200
    assert_oauth_error(await exchange(http, creds, code), "invalid_grant")
    async with sessions() as session:
        token = await session.scalar(
            select(AccessToken).where(
                AccessToken.token_hash == digest(first.json()["access_token"])
            )
        )
        assert token is not None
        assert token.revoked_at is not None
    async with sessions() as session:
        await factories.insert_user(session, user_id="jane-123")
        await session.commit()
    refused = await link(http, client_headers, "jane-123", first.json()["access_token"])
    assert error_of(refused) == (400, "Linking token is invalid", "linking_token")
    # Still refused a third time, with nothing left to revoke.
    assert_oauth_error(await exchange(http, creds, code), "invalid_grant")


async def test_two_exchanges_at_once_give_one_token_and_then_revoke_it(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, sessions: Sessions
) -> None:
    answers = await asyncio.gather(*(exchange(http, creds, code) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 400]
    (issued,) = [a.json()["access_token"] for a in answers if a.status_code == 200]
    async with sessions() as session:
        revoked = await session.scalar(
            select(AccessToken.revoked_at).where(AccessToken.token_hash == digest(issued))
        )
    assert revoked is not None


async def test_a_wrong_redirect_uri_is_refused_and_leaves_the_code_usable(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str
) -> None:
    for other in (REDIRECT + "/", REDIRECT.upper(), "https://evil.example/account/profile"):
        assert_oauth_error(await exchange(http, creds, code, redirect_uri=other), "invalid_grant")
    assert (await exchange(http, creds, code)).status_code == 200


async def test_a_code_of_another_client_is_refused(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, sessions: Sessions
) -> None:
    other = await factories.make_api_client(sessions, name="Another app")
    response = await exchange(http, other, code)
    assert_oauth_error(response, "invalid_grant")
    assert response.json() == (await exchange(http, other, "no-such-code")).json()
    assert (await exchange(http, creds, code)).status_code == 200


async def test_a_code_from_another_clients_authorize_is_bound_to_that_client(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    account: int,
    sessions: Sessions,
) -> None:
    other = await factories.make_api_client(sessions, name="Another app")
    other_headers = factories.bearer(await factories.client_token(http, other))
    code = await authorize(http, other_headers, account)
    assert_oauth_error(await exchange(http, creds, code), "invalid_grant")
    assert (await exchange(http, other, code)).status_code == 200


async def test_an_expired_code_is_refused(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, sessions: Sessions
) -> None:
    async with sessions() as session:
        row = await session.get(AuthorizationCode, digest(code))
        assert row is not None
        assert row.expires_at - row.created_at == CODE_TTL == timedelta(minutes=10)
    await _expire(sessions, code)
    response = await exchange(http, creds, code)
    assert_oauth_error(response, "invalid_grant")
    assert "expired" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"code": ""}, "invalid_request"),
        ({"redirect_uri": ""}, "invalid_request"),
        ({"code": "x" * 43}, "invalid_grant"),
    ],
)
async def test_a_missing_or_unknown_code_or_redirect_uri(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, body: dict[str, str], error: str
) -> None:
    assert_oauth_error(await exchange(http, creds, **{"code": code, **body}), error)


async def test_a_code_in_the_query_string_is_forbidden(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str
) -> None:
    body = token_body(creds, redirect_uri=REDIRECT)
    response = await http.post(TOKEN, params={"code": code}, json=body)
    assert_oauth_error(response, "query_params_forbidden", status=403)


# --- PKCE (RFC 7636) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenge", "method", "verifier", "ok"),
    [
        (CHALLENGE, "S256", VERIFIER, True),
        (CHALLENGE, "S256", VERIFIER[:-1] + "Y", False),
        (CHALLENGE, "S256", CHALLENGE, False),
        (CHALLENGE, "S256", None, False),
        (VERIFIER, "plain", VERIFIER, True),
        (VERIFIER, None, VERIFIER, True),
        (VERIFIER, "plain", VERIFIER[:-1] + "Y", False),
        (VERIFIER, "plain", None, False),
        (None, None, VERIFIER, False),
    ],
    ids=[
        "s256-right",
        "s256-wrong",
        "s256-challenge-as-verifier",
        "s256-missing",
        "plain-right",
        "plain-by-default",
        "plain-wrong",
        "plain-missing",
        "verifier-without-challenge",
    ],
)
async def test_pkce(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    account: int,
    challenge: str | None,
    method: str | None,
    verifier: str | None,
    ok: bool,
) -> None:
    pkce = {"code_challenge": challenge, "code_challenge_method": method}
    code = await authorize(
        http, client_headers, account, **{k: v for k, v in pkce.items() if v is not None}
    )
    extra = {"code_verifier": verifier} if verifier is not None else {}
    response = await exchange(http, creds, code, **extra)
    if ok:
        assert response.status_code == 200, response.text
    else:
        assert_oauth_error(response, "invalid_grant")
        if challenge is not None:
            # A failed verifier does not spend the code: the right one still redeems it.
            right = await exchange(http, creds, code, code_verifier=VERIFIER)
            assert right.status_code == 200, right.text


async def test_a_linking_token_is_the_bearer_of_no_endpoint(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str
) -> None:
    token = (await exchange(http, creds, code)).json()["access_token"]
    response = await http.get("/v2/fulfillment/users/anyone", headers=factories.bearer(token))
    assert response.status_code == 403, response.text
    response = await http.post(
        "/v2/fulfillment_sandbox/instacart_users",
        json={"email": "a@example.com", "phone": "8005550102", "password": "pw"},
        headers=factories.bearer(token),
    )
    assert response.status_code == 403, response.text


# --- Deleting finished codes ----------------------------------------------------------------------


async def _kept(sessions: Sessions, *codes: str) -> list[bool]:
    async with sessions() as session:
        return [await session.get(AuthorizationCode, digest(code)) is not None for code in codes]


async def test_issuing_a_code_deletes_the_expired_unused_ones(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    account: int,
    sessions: Sessions,
) -> None:
    old = await authorize(http, client_headers, account)
    fresh = await authorize(http, client_headers, account)
    await _expire(sessions, old)
    new = await authorize(http, client_headers, account)
    assert await _kept(sessions, old, fresh, new) == [False, True, True]
    assert_oauth_error(await exchange(http, creds, old), "invalid_grant")
    assert (await exchange(http, creds, fresh)).status_code == 200


async def test_a_used_code_is_kept_while_it_lives_and_its_token_does(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    account: int,
    sessions: Sessions,
) -> None:
    used = await authorize(http, client_headers, account)
    token = (await exchange(http, creds, used)).json()["access_token"]
    await _expire(sessions, used)
    await authorize(http, client_headers, account)
    assert await _kept(sessions, used) == [True]
    # Presented again, it is still known as used, and the token it gave is revoked.
    assert "already used" in (await exchange(http, creds, used)).json()["error_description"]
    async with sessions() as session:
        revoked = await session.scalar(
            select(AccessToken.revoked_at).where(AccessToken.token_hash == digest(token))
        )
    assert revoked is not None
    # A code whose token was revoked stays until it expires.
    recent = await authorize(http, client_headers, account)
    assert (await exchange(http, creds, recent)).status_code == 200
    assert (await exchange(http, creds, recent)).status_code == 400
    await authorize(http, client_headers, account)
    assert await _kept(sessions, used, recent) == [False, True]
