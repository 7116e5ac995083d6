"""The rate limit on the whole API, per client (its user tokens included), answered in each
path's own envelope with ``Retry-After``."""

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests import factories
from tests.limits.helpers import Sessions, limited, retry_after

PATH = "/v2/fulfillment/users/nobody"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(database_url, rate_limit_api="5/minute")


async def test_a_client_makes_only_so_many_requests(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    for _ in range(5):  # each answered (an unknown user is 400), each counted
        assert (await http.get(PATH, headers=client_headers)).status_code == 400
    response = await http.get(PATH, headers=client_headers)
    seconds = retry_after(response, at_most=120)
    assert response.json() == {
        "error": {
            "message": f"Too many requests for this client; retry in {seconds} seconds",
            "code": 6429,
        },
        "meta": {},
    }


async def test_user_tokens_count_against_their_client_and_other_clients_go_on(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    creds: IssuedCredentials,
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        user = await factories.insert_user(session)
        await session.commit()
    user_headers = factories.bearer(await factories.user_token(http, creds, user.user_id))
    for _ in range(5):
        await http.get(PATH, headers=client_headers)
    response = await http.get("/v2/post_checkout/orders/x/items", headers=user_headers)
    seconds = retry_after(response, at_most=120)
    assert response.json() == {
        "error": f"Too many requests for this client; retry in {seconds} seconds",
        "status": 429,
    }
    other = await factories.make_api_client(sessions, name="Other")
    other_headers = factories.bearer(await factories.client_token(http, other))
    assert (await http.get(PATH, headers=other_headers)).status_code == 400


async def test_requests_without_a_valid_token_are_not_counted_against_a_client(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    for _ in range(10):
        assert (await http.get(PATH, headers=factories.bearer("nope"))).status_code == 401
    assert (await http.get(PATH, headers=client_headers)).status_code == 400
