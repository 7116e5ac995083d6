"""Rate limits on chat, per customer and per shopper, each answered in its path's own envelope
with ``Retry-After``."""

import asyncio

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests.limits.helpers import Sessions, limited, retry_after
from tests.post_checkout.helpers import arrange
from tests.sandbox.helpers import SANDBOX, picking


@pytest.fixture
def settings(database_url: str) -> Settings:
    return limited(database_url, rate_limit_chat="3/minute")


async def test_a_customer_sends_only_so_many_chat_messages(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    for n in range(3):
        response = await http.post(order.messages, json={"body": f"hi {n}"}, headers=order.headers)
        assert response.status_code == 200, response.text
    response = await http.post(order.messages, json={"body": "hi 3"}, headers=order.headers)
    seconds = retry_after(response, at_most=120)
    assert response.json() == {
        "error": f"Too many chat messages; retry in {seconds} seconds",
        "status": 429,
    }
    listed = (await http.get(order.messages, headers=order.headers)).json()["messages"]
    assert [m["body"] for m in listed] == ["hi 0", "hi 1", "hi 2"]
    # Another customer is not held back.
    other = await arrange(http, sessions, creds)
    response = await http.post(other.messages, json={"body": "hello"}, headers=other.headers)
    assert response.status_code == 200


async def test_a_shopper_sends_only_so_many_chat_messages(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages"
    for n in range(3):
        response = await http.post(url, json={"body": f"note {n}"}, headers=client_headers)
        assert response.status_code == 200, response.text
    response = await http.post(url, json={"body": "note 3"}, headers=client_headers)
    seconds = retry_after(response, at_most=120)
    assert response.json() == {
        "error": {"message": f"Too many chat messages; retry in {seconds} seconds", "code": 6429},
        "meta": {},
    }


async def test_concurrent_messages_never_pass_the_limit(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    responses = await asyncio.gather(
        *(
            http.post(order.messages, json={"body": f"hi {n}"}, headers=order.headers)
            for n in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 5
