"""The sandbox's Instacart users (Connect's "Create an Instacart user" and "Authorize an
Instacart user for account linking", under
https://docs.instacart.com/connect/api/sandbox/instacart_users/)."""

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.auth.secrets import digest, password_matches
from aftercart.config import Settings
from aftercart.models import AuthorizationCode, InstacartUser
from tests.linking.helpers import (
    CHALLENGE,
    REDIRECT,
    SANDBOX,
    Headers,
    authorize,
    create_account,
    error_of,
)

Sessions = async_sessionmaker[AsyncSession]
#: RFC 4648's base64url alphabet: what secrets.token_urlsafe gives, 43 characters for 32 bytes.
URL_SAFE_43 = re.compile(r"[A-Za-z0-9_-]{43}")
NOT_LISTED = "is not included in the list"


async def test_create_answers_the_id_and_keeps_only_a_hash_of_the_password(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    body = {
        "email": "Kamal.Singh@Example.com",
        "phone": "(800) 555-0101",
        "password": "correct horse battery staple",
        "instacartplus_member": True,
        "favourite_aisle": "ignored",
    }
    response = await http.post(SANDBOX, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"id"}
    assert isinstance(response.json()["id"], int)
    assert body["password"] not in response.text
    async with sessions() as session:
        account = await session.get(InstacartUser, response.json()["id"])
        assert account is not None
        assert (account.email, account.phone) == ("kamal.singh@example.com", "+18005550101")
        assert account.instacartplus_member is True
        assert body["password"] not in account.password_hash
        assert account.password_hash.startswith("scrypt$")
        assert password_matches(body["password"], account.password_hash)
        assert not password_matches("wrong", account.password_hash)


@pytest.mark.parametrize(
    ("flags", "member"),
    [
        ({}, False),
        ({"instacartplus_member": True}, True),
        ({"express_member": True}, True),
        ({"express_member": False, "instacartplus_member": False}, False),
        ({"express_member": None}, False),
    ],
)
async def test_membership_flags(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    flags: dict[str, Any],
    member: bool,
) -> None:
    account_id = await create_account(http, client_headers, **flags)
    async with sessions() as session:
        account = await session.get(InstacartUser, account_id)
        assert account is not None
        assert account.instacartplus_member is member


async def test_an_email_already_taken_is_refused_whatever_its_case(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    await create_account(http, client_headers, "kamal@example.com")
    body = {"email": "KAMAL@example.com", "phone": "8005550199", "password": "pw"}
    response = await http.post(SANDBOX, json=body, headers=client_headers)
    assert error_of(response) == (400, "An account already exists with this email", "email")


async def test_two_creates_of_one_email_at_once_give_one_account(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    body = {"email": "kamal@example.com", "phone": "8005550101", "password": "pw"}
    answers = await asyncio.gather(
        *(http.post(SANDBOX, json=body, headers=client_headers) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [200, 400, 400]
    for refused in (a for a in answers if a.status_code == 400):
        assert error_of(refused) == (400, "An account already exists with this email", "email")


async def test_two_accounts_may_share_a_phone_number(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    first = await create_account(http, client_headers, "first@example.com", phone="8005550101")
    second = await create_account(http, client_headers, "second@example.com", phone="8005550101")
    assert first != second


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"email": None}, ("can't be blank", "email")),
        ({"phone": None}, ("can't be blank", "phone")),
        ({"password": None}, ("can't be blank", "password")),
        ({"password": "   "}, ("can't be blank", "password")),
        ({"email": "not-an-address"}, ("Invalid email", "email")),
        ({"phone": "12"}, ("Invalid phone number", "phone")),
        ({"instacartplus_member": "sometimes"}, ("is invalid", "instacartplus_member")),
    ],
)
async def test_create_errors(
    http: httpx.AsyncClient,
    client_headers: Headers,
    change: dict[str, Any],
    error: tuple[str, str],
) -> None:
    body = {"email": "kamal@example.com", "phone": "8005550101", "password": "pw", **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await http.post(SANDBOX, json=body, headers=client_headers)
    assert error_of(response) == (400, *error)


async def test_authorize_answers_a_43_character_url_safe_code(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    account_id = await create_account(http, client_headers)
    # The body of Instacart's sandbox guide ("Test account linking"), extra fields and all.
    body = {
        "response_type": "code",
        "client_id": "e1c700be60cc57c0154ff5aeb3bb57fd",
        "scope": "openid account_linking",
        "state": "b1a2c3e4f6",
        "redirect_uri": REDIRECT,
        "hint": REDIRECT,
    }
    response = await http.post(
        f"{SANDBOX}/{account_id}/authorize", json=body, headers=client_headers
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"code"}
    code = response.json()["code"]
    assert URL_SAFE_43.fullmatch(code), code
    async with sessions() as session:
        row = await session.get(AuthorizationCode, digest(code))
        assert row is not None
        assert (row.instacart_user_id, row.redirect_uri) == (account_id, REDIRECT)
        assert row.code_challenge is None
    assert await authorize(http, client_headers, account_id) != code


@pytest.mark.parametrize("user_id", ["999999", "0", "abc", "12345678901234567890", "-1", "1.0"])
async def test_authorize_an_unknown_user_is_invalid_user_id_before_the_body_is_judged(
    http: httpx.AsyncClient, client_headers: Headers, user_id: str
) -> None:
    await create_account(http, client_headers)
    for body in ({"redirect_uri": REDIRECT, "scope": "account_linking"}, {}):
        response = await http.post(
            f"{SANDBOX}/{user_id}/authorize", json=body, headers=client_headers
        )
        assert error_of(response) == (400, "Invalid user_id", "user_id")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": None}, ("can't be blank", "redirect_uri")),
        ({"scope": None}, ("can't be blank", "scope")),
        ({"redirect_uri": " "}, ("can't be blank", "redirect_uri")),
        ({"redirect_uri": "example.org/linked"}, ("is invalid", "redirect_uri")),
        ({"redirect_uri": REDIRECT + "#top"}, ("is invalid", "redirect_uri")),
        ({"redirect_uri": "https://example.org/a b"}, ("is invalid", "redirect_uri")),
        ({"scope": "openid"}, ("must include account_linking", "scope")),
        ({"scope": "account_linking connect:fulfillment"}, (NOT_LISTED, "scope")),
        ({"code_challenge_method": "S512"}, (NOT_LISTED, "code_challenge_method")),
        ({"code_challenge_method": "S256"}, ("can't be blank", "code_challenge")),
        ({"code_challenge": "short"}, ("is invalid", "code_challenge")),
        (
            {"code_challenge": CHALLENGE + "A", "code_challenge_method": "S256"},
            ("is invalid", "code_challenge"),
        ),
    ],
)
async def test_authorize_errors(
    http: httpx.AsyncClient,
    client_headers: Headers,
    change: dict[str, Any],
    error: tuple[str, str],
) -> None:
    account_id = await create_account(http, client_headers)
    body = {"redirect_uri": REDIRECT, "scope": "account_linking", **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await http.post(
        f"{SANDBOX}/{account_id}/authorize", json=body, headers=client_headers
    )
    assert error_of(response) == (400, *error)


@pytest.mark.parametrize(
    "redirect_uri", ["com.example.app:/linked", "http://127.0.0.1:8080/cb?x=1", "https://a.b"]
)
async def test_authorize_takes_any_absolute_redirect_uri(
    http: httpx.AsyncClient, client_headers: Headers, redirect_uri: str
) -> None:
    account_id = await create_account(http, client_headers)
    await authorize(http, client_headers, account_id, redirect_uri=redirect_uri)


def test_without_the_sandbox_only_the_link_endpoints_are_served() -> None:
    settings = Settings(database_url="sqlite+aiosqlite://", sandbox=False, run_worker=False)
    paths = create_app(settings, migrate=False).openapi()["paths"]
    assert not [path for path in paths if path.startswith(SANDBOX)]
    assert "/v2/fulfillment/users/{user_id}/link" in paths
