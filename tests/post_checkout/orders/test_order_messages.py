"""GET /v2/post_checkout/orders/{order_id}/order_messages
(docs.instacart.com/connect/api/post_checkout/chat/get_order_messages) and the chat_message_created
callback (docs.instacart.com/connect/api/post_checkout/communications/event_callbacks)."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.models import Event, Order
from tests.conftest import suite_settings
from tests.post_checkout.helpers import BASE, arrange, set_order
from tests.post_checkout.orders.helpers import SANDBOX, Trip, emitted, trip
from tests.webhooks.helpers import payload_errors

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def picking(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> Trip:
    """A delivery order a sandbox shopper is picking."""
    return await trip(http, sessions, creds, client_headers, workflow_state="picking")


def url(order_id: str) -> str:
    return f"{BASE}/orders/{order_id}/order_messages"


async def test_chat_and_lifecycle_messages_of_a_delivered_order(
    http: httpx.AsyncClient, client_headers: dict[str, str], picking: Trip
) -> None:
    o = picking.order
    asked = await http.post(o.messages, json={"body": "Ripe avocados?"}, headers=o.headers)
    shopper_url = picking.shopper_messages
    answered = await http.post(shopper_url, json={"body": "Yes, two."}, headers=client_headers)
    assert answered.status_code == 200
    refund = await http.put(
        f"{SANDBOX}/shoppers/{picking.shopper_id}/orders/{o.order_id}/items/1",
        json={"status": "to_refund"},
        headers=client_headers,
    )
    assert refund.status_code == 200, refund.text
    for _ in range(5):  # verifying_replacements, checkout, receipt check, delivering, completed
        assert (await http.post(picking.advance, headers=client_headers)).status_code == 200

    response = await http.get(url(o.order_id), headers=o.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"] == {"is_expired": False}
    chat = body["chat_messages"]
    assert [(m["sender_type"], m["recipient_type"], m["body"]) for m in chat] == [
        ("user", "driver", "Ripe avocados?"),
        ("driver", "user", "Yes, two."),
    ]
    assert chat[0]["id"] == int(asked.json()["id"])
    assert [m["type"] for m in body["lifecycle_messages"]] == [
        "order_acknowledged",
        "shopping_started",
        "item_refunded",
        "shopping_completed",
        "delivering",
        "delivered",
    ]
    ids = [m["id"] for m in body["lifecycle_messages"]]
    assert ids == sorted(ids)


async def test_the_chat_expires_24_hours_after_delivery(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="completed", shopper={})
    await set_order(sessions, order.order_id, delivered_at=utcnow() - timedelta(hours=23))
    sent = await http.post(order.messages, json={"body": "Thanks!"}, headers=order.headers)
    assert sent.status_code == 200
    fresh = (await http.get(url(order.order_id), headers=order.headers)).json()
    assert fresh["metadata"] == {"is_expired": False}
    assert len(fresh["chat_messages"]) == 1

    await set_order(
        sessions, order.order_id, delivered_at=utcnow() - timedelta(hours=24, seconds=1)
    )
    expired = (await http.get(url(order.order_id), headers=order.headers)).json()
    assert expired["metadata"] == {"is_expired": True}
    assert expired["chat_messages"] == []
    assert (await http.get(order.messages, headers=order.headers)).json() == {"messages": []}
    refused = await http.post(order.messages, json={"body": "Hello?"}, headers=order.headers)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("The chat has expired")
    assert len(await emitted(sessions, order.order_id, names.CHAT_MESSAGE)) == 1


async def test_the_chat_expires_24_hours_after_cancellation(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: dict[str, str], picking: Trip
) -> None:
    canceled = await http.post(
        f"{SANDBOX}/orders/{picking.order.order_id}/callbacks",
        json={"event_name": "canceled"},
        headers=client_headers,
    )
    assert canceled.status_code == 200, canceled.text
    body = (await http.get(url(picking.order.order_id), headers=picking.order.headers)).json()
    assert body["metadata"] == {"is_expired": False}
    assert body["lifecycle_messages"][-1]["type"] == "canceled"
    async with sessions() as session:
        await session.execute(
            update(Event)
            .where(Event.order_id == picking.order.order_id, Event.name == names.CANCELED)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()
    body = (await http.get(url(picking.order.order_id), headers=picking.order.headers)).json()
    assert body["metadata"] == {"is_expired": True}
    shopper_url = picking.shopper_messages
    refused = await http.post(shopper_url, json={"body": "Still there?"}, headers=client_headers)
    assert refused.status_code == 400


async def test_errors(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    mine = await arrange(http, sessions, creds)
    theirs = await arrange(http, sessions, creds)
    other = await http.get(url(theirs.order_id), headers=mine.headers)
    missing = await http.get(url("nope"), headers=mine.headers)
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert (await http.get(url(mine.order_id))).status_code == 401


# --- chat_message_created ----------------------------------------------------------------------


async def test_both_sides_emit_chat_message_created(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: dict[str, str], picking: Trip
) -> None:
    mine = await http.post(
        picking.order.messages, json={"body": "Hi"}, headers=picking.order.headers
    )
    shopper_url = picking.shopper_messages
    theirs = await http.post(shopper_url, json={"body": "Hello"}, headers=client_headers)
    callbacks = await emitted(sessions, picking.order.order_id, "chat_message_created")
    assert [c["event_metadata"]["message"] for c in callbacks] == [mine.json(), theirs.json()]
    async with sessions() as session:
        order_pk = await session.scalar(
            Order.__table__.select()
            .with_only_columns(Order.id)
            .where(Order.order_id == picking.order.order_id)
        )
    for callback in callbacks:
        assert callback["event_name"] == "chat_message_created"
        assert callback["event_metadata"]["topic_id"] == str(order_pk)
        assert payload_errors(callback) == []


# --- Removed shopper information ------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return suite_settings(database_url, **getattr(request, "param", {}))


@pytest.mark.parametrize("settings", [{"remove_shopper_information": True}], indirect=True)
async def test_removed_shopper_information_refuses_the_chat(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, shopper={})
    for response in [
        await http.get(url(order.order_id), headers=order.headers),
        await http.get(order.messages, headers=order.headers),
        await http.post(order.messages, json={"body": "Hi"}, headers=order.headers),
    ]:
        assert response.status_code == 403
        assert response.json()["status"] == 403
    assert await emitted(sessions, order.order_id, names.CHAT_MESSAGE) == []
