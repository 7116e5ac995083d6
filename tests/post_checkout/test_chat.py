"""GET and POST /v2/post_checkout/chat/{order_id}/messages."""

from datetime import datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from aftercart.models import ChatMessage
from tests.post_checkout.helpers import arrange, events, item_row

Sessions = async_sessionmaker[AsyncSession]


async def test_no_messages_yet(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    response = await http.get(order.messages, headers=order.headers)
    assert response.status_code == 200
    assert response.json() == {"messages": []}


async def test_a_customer_message_is_trimmed_stored_and_announced(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    response = await http.post(
        order.messages, json={"body": "  Any ripe avocados?  "}, headers=order.headers
    )
    assert response.status_code == 200
    message = response.json()
    assert message["sender"] == "customer"
    assert message["body"] == "Any ripe avocados?"
    assert message["id"].isdigit()
    assert datetime.fromisoformat(message["created_at"]).tzinfo is not None
    listed = (await http.get(order.messages, headers=order.headers)).json()
    assert listed == {"messages": [message]}
    [event] = await events(sessions, order.order_id, names.CHAT_MESSAGE)
    assert event["message"] == message
    assert event["order_id"] == order.order_id


async def test_messages_of_both_sides_in_chronological_order(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, shopper={})
    first = (await http.post(order.messages, json={"body": "Hi"}, headers=order.headers)).json()
    item = await item_row(sessions, order.order_id, "1")
    async with sessions() as session:
        session.add(ChatMessage(order_pk=item.order_pk, sender="shopper", body="Hello!"))
        await session.commit()
    third = (await http.post(order.messages, json={"body": "Thanks"}, headers=order.headers)).json()
    listed = (await http.get(order.messages, headers=order.headers)).json()["messages"]
    assert [(m["sender"], m["body"]) for m in listed] == [
        ("customer", "Hi"),
        ("shopper", "Hello!"),
        ("customer", "Thanks"),
    ]
    assert listed[0] == first
    assert listed[2] == third


async def test_a_message_of_exactly_1000_characters_after_trimming_is_accepted(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    body = "\n " + "é" * 1000 + " \t"
    response = await http.post(order.messages, json={"body": body}, headers=order.headers)
    assert response.status_code == 200
    assert response.json()["body"] == "é" * 1000


@pytest.mark.parametrize("body", ["", "   \n\t "])
async def test_an_empty_message_is_a_message(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, body: str
) -> None:
    """The document's ``SendMessageRequest`` sets no minimum length."""
    order = await arrange(http, sessions, creds)
    response = await http.post(order.messages, json={"body": body}, headers=order.headers)
    assert response.status_code == 200, response.text
    message = response.json()
    assert (message["sender"], message["body"]) == ("customer", "")
    assert (await http.get(order.messages, headers=order.headers)).json() == {"messages": [message]}
    [event] = await events(sessions, order.order_id, names.CHAT_MESSAGE)
    assert event["message"] == message


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"body": "x" * 1001}, "body: is too long (maximum is 1000 characters)"),
        ({}, "body: can't be blank"),
        ({"body": 42}, "body: is invalid"),
        ({"body": None}, "body: is invalid"),
    ],
)
async def test_an_invalid_message_is_400_and_not_stored(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    payload: dict[str, object],
    message: str,
) -> None:
    order = await arrange(http, sessions, creds)
    response = await http.post(order.messages, json=payload, headers=order.headers)
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}
    assert (await http.get(order.messages, headers=order.headers)).json() == {"messages": []}
    assert await events(sessions, order.order_id, names.CHAT_MESSAGE) == []


async def test_a_body_that_is_not_json_is_400(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    response = await http.post(
        order.messages,
        content=b"{not json",
        headers=order.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "body: is not valid JSON (sent as application/json)",
        "status": 400,
    }


async def test_messages_are_per_order(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    one = await arrange(http, sessions, creds)
    two = await arrange(http, sessions, creds)
    await http.post(one.messages, json={"body": "for one"}, headers=one.headers)
    assert (await http.get(two.messages, headers=two.headers)).json() == {"messages": []}
