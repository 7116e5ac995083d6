"""Who may call the post-checkout API, and the error bodies of the post-checkout
OpenAPI document on every path."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.authorization_scenario import expire
from tests.post_checkout.helpers import Scenario, arrange, propose

Sessions = async_sessionmaker[AsyncSession]


def calls(order: Scenario) -> list[tuple[str, str, dict[str, Any] | None]]:
    """One request for each operation of the post-checkout OpenAPI document."""
    return [
        ("GET", order.handling, None),
        ("GET", order.items, None),
        ("PUT", order.replacement("1"), {"status": "APPROVED"}),
        ("GET", order.messages, None),
        ("POST", order.messages, {"body": "hello"}),
    ]


async def _send(
    http: httpx.AsyncClient,
    call: tuple[str, str, dict[str, Any] | None],
    headers: dict[str, str],
) -> httpx.Response:
    method, url, body = call
    return await http.request(method, url, json=body, headers=headers)


async def _every_call_is_invalid_token(http: httpx.AsyncClient, order: Scenario) -> None:
    for call in calls(order):
        response = await _send(http, call, order.headers)
        assert response.status_code == 401
        assert response.json() == {"error": "The access token is invalid", "status": 401}


@pytest.fixture
async def order(http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials) -> Scenario:
    scenario = await arrange(http, sessions, creds, shopper={})
    await propose(sessions, scenario, "1")
    return scenario


@pytest.mark.parametrize("index", range(5))
async def test_the_owner_gets_200_on_every_path(
    http: httpx.AsyncClient, order: Scenario, index: int
) -> None:
    response = await _send(http, calls(order)[index], order.headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("index", range(5))
async def test_no_token_is_401(http: httpx.AsyncClient, order: Scenario, index: int) -> None:
    response = await _send(http, calls(order)[index], {})
    assert response.status_code == 401
    assert response.json() == {"error": "An access token is required", "status": 401}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("index", range(5))
async def test_an_unknown_token_is_401(
    http: httpx.AsyncClient, order: Scenario, index: int
) -> None:
    response = await _send(http, calls(order)[index], factories.bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid", "status": 401}


async def test_an_expired_token_is_401(
    http: httpx.AsyncClient, sessions: Sessions, order: Scenario
) -> None:
    await expire(sessions, order.headers["Authorization"].removeprefix("Bearer "))
    await _every_call_is_invalid_token(http, order)


async def test_a_revoked_token_is_401(
    http: httpx.AsyncClient, creds: IssuedCredentials, order: Scenario
) -> None:
    await factories.revoke(http, creds, order.headers["Authorization"].removeprefix("Bearer "))
    await _every_call_is_invalid_token(http, order)


async def test_a_client_credentials_token_is_403(
    http: httpx.AsyncClient, order: Scenario, client_headers: dict[str, str]
) -> None:
    for call in calls(order):
        response = await _send(http, call, client_headers)
        assert response.status_code == 403
        assert response.json() == {
            "error": "The access token does not allow this request",
            "status": 403,
        }


async def test_a_user_token_without_the_post_checkout_scope_is_403(
    http: httpx.AsyncClient, creds: IssuedCredentials, order: Scenario
) -> None:
    token = await factories.user_token(
        http, creds, order.user_id, scope="Connect::Orders::RatingService"
    )
    response = await http.get(order.items, headers=factories.bearer(token))
    assert response.status_code == 403
    assert response.json()["status"] == 403


@pytest.mark.parametrize("index", range(5))
async def test_an_unknown_order_is_404(
    http: httpx.AsyncClient, order: Scenario, index: int
) -> None:
    method, url, body = calls(order)[index]
    missing = url.replace(order.order_id, "no-such-order")
    response = await http.request(method, missing, json=body, headers=order.headers)
    assert response.status_code == 404
    assert response.json() == {"error": "Order not found", "status": 404}


@pytest.mark.parametrize("index", range(5))
async def test_another_users_order_answers_exactly_as_a_missing_one(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    order: Scenario,
    index: int,
) -> None:
    stranger = await arrange(http, sessions, creds)
    method, url, body = calls(order)[index]
    foreign = await http.request(method, url, json=body, headers=stranger.headers)
    missing = await http.request(
        method, url.replace(order.order_id, "no-such-order"), json=body, headers=stranger.headers
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert foreign.headers.get("content-length") == missing.headers.get("content-length")
    # The owner's order is untouched by the stranger's attempt.
    assert (await http.get(order.messages, headers=order.headers)).json() == {"messages": []}
