"""POST and GET /v2/fulfillment/users/{user_id}/link (Connect's "Link an Instacart account",
https://docs.instacart.com/connect/api/fulfillment/users/link_user, and "Get Instacart account
information", https://docs.instacart.com/connect/api/fulfillment/users/get_user_link): each row
of their error tables, and what a revoked or expired linking token does."""

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.secrets import digest
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.linking.rules import MEMBERSHIP_TERM, wire_time
from aftercart.models import AccessToken, InstacartUser, UserLink
from tests import factories
from tests.linking.helpers import Headers, Linking, error_of, link, link_url, linking_token

Sessions = async_sessionmaker[AsyncSession]
ALREADY_LINKED = "Validation failed: Common identities can only have one user per isolation context"
INVALID_TOKEN = (400, "Linking token is invalid", "linking_token")


@pytest.fixture
async def users(sessions: Sessions) -> list[str]:
    """Three active Connect users."""
    async with sessions() as session:
        made = [await factories.insert_user(session, user_id=f"jane-{n}") for n in range(3)]
        await session.commit()
    return [user.user_id for user in made]


@pytest.fixture
async def made(
    http: httpx.AsyncClient, creds: IssuedCredentials, client_headers: Headers
) -> Linking:
    """A new Instacart user's id and linking token."""
    return await linking_token(http, creds, client_headers)


@pytest.fixture
async def linked(
    http: httpx.AsyncClient, client_headers: Headers, users: list[str], made: Linking
) -> Linking:
    """``made``, linked to the first of ``users``."""
    assert (await link(http, client_headers, users[0], made.token)).status_code == 200
    return made


async def _deactivate(http: httpx.AsyncClient, headers: Headers, user_id: str) -> None:
    response = await http.put(
        f"/v2/fulfillment/users/{user_id}", json={"active": False}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_link_then_read_a_members_link(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
    sessions: Sessions,
) -> None:
    made = await linking_token(http, creds, client_headers, instacartplus_member=True)
    response = await link(http, client_headers, users[0], made.token)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}

    read = await http.get(link_url(users[0]), headers=client_headers)
    assert read.status_code == 200, read.text
    body = read.json()
    assert set(body) == {"express_member", "instacartplus_member", "expired_at"}
    assert body["express_member"] is body["instacartplus_member"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expired_at"]), body
    async with sessions() as session:
        account = await session.get(InstacartUser, made.account_id)
        assert account is not None
    assert body["expired_at"] == wire_time(account.created_at + MEMBERSHIP_TERM)


@pytest.mark.parametrize(
    ("flags", "member"),
    [({}, False), ({"express_member": True}, True)],
    ids=["not-a-member", "express-member"],
)
async def test_membership_is_the_linked_accounts(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
    flags: dict[str, Any],
    member: bool,
) -> None:
    made = await linking_token(http, creds, client_headers, **flags)
    assert (await link(http, client_headers, users[0], made.token)).status_code == 200
    body = (await http.get(link_url(users[0]), headers=client_headers)).json()
    assert body["instacartplus_member"] is body["express_member"] is member
    assert ("expired_at" in body) is member


async def test_the_same_link_again_changes_nothing(
    http: httpx.AsyncClient,
    client_headers: Headers,
    users: list[str],
    sessions: Sessions,
    made: Linking,
) -> None:
    for _ in range(2):
        assert (await link(http, client_headers, users[0], made.token)).status_code == 200
    async with sessions() as session:
        link_row = await session.get(UserLink, (1, users[0]))
        assert link_row is not None
        assert link_row.instacart_user_id == made.account_id


async def test_a_linked_user_linked_again_takes_the_new_account(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
) -> None:
    first = await linking_token(http, creds, client_headers, "first@example.com")
    second = await linking_token(
        http, creds, client_headers, "second@example.com", instacartplus_member=True
    )
    assert (await link(http, client_headers, users[0], first.token)).status_code == 200
    assert (await link(http, client_headers, users[0], second.token)).status_code == 200
    body = (await http.get(link_url(users[0]), headers=client_headers)).json()
    assert body["instacartplus_member"] is True
    # The first account is free again.
    assert (await link(http, client_headers, users[1], first.token)).status_code == 200


async def test_an_account_linked_to_another_user_is_refused(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
    linked: Linking,
) -> None:
    response = await link(http, client_headers, users[1], linked.token)
    assert error_of(response) == (400, ALREADY_LINKED, "linking_token")
    # A new code for the same account changes nothing: the account is the one linked.
    again = await linking_token(http, creds, client_headers, "other@example.com")
    assert (await link(http, client_headers, users[1], again.token)).status_code == 200


async def test_two_users_linking_one_account_at_once(
    http: httpx.AsyncClient, client_headers: Headers, users: list[str], made: Linking
) -> None:
    answers = await asyncio.gather(*(link(http, client_headers, u, made.token) for u in users))
    assert sorted(a.status_code for a in answers) == [200, 400, 400]
    for refused in (a for a in answers if a.status_code == 400):
        assert error_of(refused) == (400, ALREADY_LINKED, "linking_token")


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_unknown_user_is_user_not_found(
    http: httpx.AsyncClient, client_headers: Headers, made: Linking, method: str
) -> None:
    body = {"linking_token": made.token} if method == "POST" else None
    response = await http.request(method, link_url("nobody"), json=body, headers=client_headers)
    assert error_of(response) == (400, "User Not Found", "user_id")


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_inactive_user_is_403_user_not_active(
    http: httpx.AsyncClient, client_headers: Headers, users: list[str], linked: Linking, method: str
) -> None:
    await _deactivate(http, client_headers, users[0])
    body = {"linking_token": linked.token} if method == "POST" else None
    response = await http.request(method, link_url(users[0]), json=body, headers=client_headers)
    assert response.status_code == 403, response.text
    assert response.json() == {"error": {"message": "User Not Active", "code": None}, "meta": {}}


@pytest.mark.parametrize(
    "body", [{}, {"linking_token": ""}, {"linking_token": "   "}, {"linking_token": None}]
)
async def test_no_linking_token_cannot_be_blank(
    http: httpx.AsyncClient, client_headers: Headers, users: list[str], body: dict[str, Any]
) -> None:
    response = await http.post(link_url(users[0]), json=body, headers=client_headers)
    assert error_of(response) == (400, "can't be blank", "linking_token")


async def test_not_a_linking_token_is_invalid(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
) -> None:
    client_token = client_headers["Authorization"].removeprefix("Bearer ")
    for token in ("nonsense", "x" * 43, client_token):
        response = await link(http, client_headers, users[0], token)
        assert error_of(response) == INVALID_TOKEN


async def test_a_revoked_linking_token_cannot_link_and_the_link_it_made_stays(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    users: list[str],
    linked: Linking,
) -> None:
    await factories.revoke(http, creds, linked.token)
    for user_id in users[:2]:
        response = await link(http, client_headers, user_id, linked.token)
        assert error_of(response) == INVALID_TOKEN
    assert (await http.get(link_url(users[0]), headers=client_headers)).status_code == 200


async def test_an_expired_linking_token_cannot_link_and_the_link_it_made_stays(
    http: httpx.AsyncClient,
    client_headers: Headers,
    users: list[str],
    sessions: Sessions,
    linked: Linking,
) -> None:
    async with sessions() as session:
        await session.execute(
            update(AccessToken)
            .where(AccessToken.token_hash == digest(linked.token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    response = await link(http, client_headers, users[1], linked.token)
    assert error_of(response) == INVALID_TOKEN
    assert (await http.get(link_url(users[0]), headers=client_headers)).status_code == 200


async def test_a_linking_token_of_another_client_links_too(
    http: httpx.AsyncClient, users: list[str], sessions: Sessions, made: Linking
) -> None:
    """One deployment is one retailer: its clients share users, and linking tokens."""
    other = await factories.make_api_client(sessions, name="Another app")
    other_headers = factories.bearer(await factories.client_token(http, other))
    assert (await link(http, other_headers, users[0], made.token)).status_code == 200


async def test_a_user_never_linked_is_user_not_linked(
    http: httpx.AsyncClient, client_headers: Headers, users: list[str]
) -> None:
    response = await http.get(link_url(users[0]), headers=client_headers)
    assert error_of(response) == (400, "User Not Linked", "user_id")


async def test_a_deleted_account_unlinks(
    http: httpx.AsyncClient,
    client_headers: Headers,
    users: list[str],
    sessions: Sessions,
    linked: Linking,
) -> None:
    async with sessions() as session:
        account = await session.get(InstacartUser, linked.account_id)
        await session.delete(account)
        await session.commit()
    response = await http.get(link_url(users[0]), headers=client_headers)
    assert error_of(response) == (400, "User Not Linked", "user_id")
