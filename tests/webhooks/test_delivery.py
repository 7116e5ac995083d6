"""One delivery at a time through ``worker.send``: the body, the signature, the receiver's OAuth,
and what each kind of answer does to the delivery."""

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from standardwebhooks import Webhook

from aftercart.auth.service import IssuedCredentials
from aftercart.db.tenancy import serve_tenant
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.events.webhooks import rules, service, worker
from aftercart.events.webhooks.clients import ConnectionPool
from aftercart.events.webhooks.oauth import OAuthSettings, TokenCache
from aftercart.models import Order, OrderItem, WebhookSubscription
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories
from tests.webhooks.helpers import (
    TOKEN_URL,
    Clock,
    Receiver,
    Sessions,
    attempts,
    deliveries,
    delivery,
    payload_errors,
    sender_for,
    subscribe,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _samples(order: Order) -> dict[str, dict[str, Any]]:
    """What each event carries besides order_id, user_id and location_code (docs/webhooks.md)."""
    item = item_payload(order.items[0])
    state = {"batch_id": 1, "shopper_id": 1, "workflow_state": "picking", "status": "picking"}
    window = {"window_starts_at": "2026-11-24T10:00:00Z", "window_ends_at": "2026-11-24T11:00:00Z"}
    placed = {"service_type": "delivery", "delivery_window": window}
    package = {"bag_label": "DOE-1001", "bags_count": 3, "items_count": 12}
    rating = {"rating": {"id": 1, "source": "connect", "rating": 5, "rating_value": "LOVED"}}
    runner = {
        "batch_id": 2,
        "runner_id": 1,
        "workflow_state": "at_store",
        "pickup_category": "curbside",
    }
    return {
        names.BRAND_NEW: placed,
        names.ACKNOWLEDGED: state,
        names.PICKING: state,
        names.ITEM_REPLACEMENT: {"item": item},
        names.ITEM_REFUND: {"item": item},
        names.ITEM_UPDATED: {"item": item},
        names.ITEM_ADDED: {"item": item},
        names.CHECKOUT: {**state, "items": [item_payload(i) for i in order.items]},
        names.STAGED: state,
        names.ACKNOWLEDGED_FOR_DELIVERY: {**state, **package},
        names.AT_STORE_ETA: {**state, **package, "eta": "2026-11-24T10:10:00Z"},
        names.AT_STORE: {**state, **package},
        names.BAGS_VERIFIED: {**state, **package},
        names.ARRIVAL_AT_CUSTOMER: {**state, **package},
        names.DELIVERING: state,
        names.DELIVERED: state,
        names.CANCELED: {"status": "canceled", "cancellation_reason": "retailer_driven"},
        names.CUSTOMER_ACKNOWLEDGED: {
            "arrived_at": "2026-11-24T10:05:00Z",
            "is_pickup_delegate": False,
            "pickup_category": "curbside",
        },
        names.PICKUP_RUNNER_STARTED: runner | {"workflow_state": "at_store"},
        names.UNABLE_TO_FIND_CUSTOMER: runner | {"workflow_state": "brand_new"},
        names.CUSTOMER_MISSING: state | {"workflow_state": "delivering", "status": "delivering"},
        names.RUNNER_NOT_FOUND: runner,
        names.PICKUP_GEOFENCE_REACHED: runner | {"workflow_state": "brand_new"},
        names.LATE_PICKUP: {"pickup_category": "curbside", **window},
        names.TIP_ADJUSTMENT: {
            "status": "delivered",
            "previous_tip_amount_cents": 500,
            "tip_amount_cents": 700,
            "adjusted_at": "2026-11-24T10:00:00Z",
        },
        names.ORDER_LOCATION: {
            "shopper_id": 1,
            "latitude": 37.79,
            "longitude": -122.39,
            "recorded_at": "2026-11-24T10:05:00Z",
        },
        names.RESCHEDULED: window,
        names.LATE_DELIVERY: {"late": True, **window},
        names.ORDER_UPDATED: placed,
        names.RATING_UPDATED: rating,
        names.RATING_REMINDER: {"status": "delivered", "delivered_at": "2026-11-24T10:50:00Z"},
        names.CHAT_MESSAGE: {
            "topic_id": "1",
            "message": {
                "id": "1",
                "sender": "shopper",
                "body": "Hi",
                "created_at": "2026-11-24T10:05:00Z",
            },
        },
        names.REPLACEMENT_DECISION: {"item": item, "decided_by": "default"},
        names.MARKETPLACE_FEEDBACK: {"source": "yandex_eats", **rating},
    }


async def _order(sessions: Sessions) -> Order:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        products = [await factories.insert_product(session) for _ in range(2)]
        order = await factories.insert_order(session, user=user, store=store, products=products)
        await session.commit()
        return await session.scalar(
            select(Order)
            .where(Order.id == order.id)
            .options(
                selectinload(Order.items).options(
                    selectinload(OrderItem.product), selectinload(OrderItem.replacement_product)
                )
            )
        )


async def _event(sessions: Sessions, name: str = names.PICKING, order: Order | None = None) -> int:
    """Records an event and returns the id of the (first) delivery it is owed as."""
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        event = await record_event(session, name, order=order, metadata={"n": 1})
        await session.commit()
    return max(d.id for d in await deliveries(sessions) if d.event_id == event.id)


@pytest.mark.parametrize("name", names.ALL)
async def test_every_event_is_posted_in_connects_envelope(
    sessions: Sessions, creds: IssuedCredentials, name: str
) -> None:
    await subscribe(sessions, creds.client_id)
    order = await _order(sessions)
    metadata = _samples(order)[name]
    async with sessions() as session:
        event = await record_event(session, name, order=order, metadata=metadata)
        await session.commit()
    receiver = Receiver()
    [owed] = await deliveries(sessions)

    await worker.send(sessions, owed.id, sender=sender_for(receiver))

    [body] = receiver.bodies()
    assert set(body) == {"event_id", "event_name", "event_timestamp", "event_metadata"}
    assert body["event_id"] == event.id
    assert isinstance(body["event_id"], int)
    assert body["event_name"] == name
    assert TIMESTAMP.match(body["event_timestamp"])
    assert body["event_metadata"] == {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "location_code": order.location_code,
        **metadata,
    }
    assert payload_errors(body) == []
    assert (await delivery(sessions, owed.id)).status == rules.SUCCEEDED


async def test_item_payload_carries_requested_and_delivered_codes(sessions: Sessions) -> None:
    order = await _order(sessions)
    item = item_payload(order.items[0])
    assert item["requested_item_upc"] == order.items[0].product.upc
    assert item["delivered_item_upc"] == order.items[0].product.upc
    assert {
        "requested_count",
        "delivered_count",
        "requested_item_rrc",
        "delivered_item_rrc",
    } <= set(item)


async def test_the_signature_verifies_with_standard_webhooks(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    owed = await _event(sessions)
    receiver = Receiver()

    await worker.send(sessions, owed, sender=sender_for(receiver))

    [call] = receiver.calls
    assert subscription.signing_secret.startswith("whsec_")
    verified = Webhook(subscription.signing_secret).verify(call.content, dict(call.headers))
    assert verified["event_name"] == names.PICKING
    assert call.headers["webhook-id"] == f"msg_{owed}"
    assert call.headers["content-type"] == "application/json"
    assert "authorization" not in call.headers
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43).verify(call.content, dict(call.headers))


async def test_oauth_token_is_fetched_form_encoded_once_and_reused(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id, oauth=True)
    first, second = await _event(sessions), await _event(sessions)
    receiver = Receiver()
    sender = sender_for(receiver)

    await worker.send(sessions, first, sender=sender)
    await worker.send(sessions, second, sender=sender)

    assert receiver.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": "aftercart",
            "client_secret": "s3cret",
            "scope": "callbacks",
        }
    ]
    assert [c.headers["authorization"] for c in receiver.calls] == ["Bearer token-1"] * 2


async def test_the_token_request_is_form_encoded_without_an_unset_scope() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "t", "expires_in": 60})

    pool = ConnectionPool(httpx.MockTransport(handle))
    token = await TokenCache().get(pool, 1, OAuthSettings(TOKEN_URL, "id", "secret"))
    assert token == "t"
    assert seen[0].method == "POST"
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(httpx.QueryParams(seen[0].content.decode())) == {
        "grant_type": "client_credentials",
        "client_id": "id",
        "client_secret": "secret",
    }


async def test_a_401_fetches_a_fresh_token_and_retries_at_once(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id, oauth=True)
    owed = await _event(sessions)
    receiver = Receiver(reject_tokens={"token-1"})

    await worker.send(sessions, owed, sender=sender_for(receiver))

    assert [c.headers["authorization"] for c in receiver.calls] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert [a.status_code for a in await attempts(sessions, owed)] == [401, 200]
    assert (await delivery(sessions, owed)).status == rules.SUCCEEDED


async def test_an_expired_token_is_fetched_again(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id, oauth=True)
    first, second = await _event(sessions), await _event(sessions)
    clock = Clock()
    receiver = Receiver(token_expires_in=120)
    sender = sender_for(receiver, clock)

    await worker.send(sessions, first, sender=sender, clock=clock)
    clock.advance(timedelta(seconds=91))
    await worker.send(sessions, second, sender=sender, clock=clock)

    assert len(receiver.token_requests) == 2
    assert receiver.calls[1].headers["authorization"] == "Bearer token-2"


async def test_a_5xx_is_retried_later_and_the_attempt_recorded(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    owed = await _event(sessions)
    clock = Clock()

    await worker.send(
        sessions, owed, sender=sender_for(Receiver(status=503), clock), clock=clock, rand=lambda: 1
    )

    row = await delivery(sessions, owed)
    assert (row.status, row.attempts, row.last_error) == (rules.PENDING, 1, "HTTP 503")
    assert row.next_attempt_at == clock.now + timedelta(seconds=5)
    assert row.locked_until is None
    [attempt] = await attempts(sessions, owed)
    assert attempt.status_code == 503
    assert attempt.response_excerpt == "answered 503"
    assert attempt.started_at == clock.now
    assert attempt.latency_ms is not None


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(429),
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)),
        lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)),
    ],
    ids=["429", "connection-error", "timeout"],
)
async def test_throttling_and_network_failures_are_retried(
    sessions: Sessions, creds: IssuedCredentials, answer: Any
) -> None:
    await subscribe(sessions, creds.client_id)
    owed = await _event(sessions)

    await worker.send(sessions, owed, sender=sender_for(Receiver(answer=answer)))

    row = await delivery(sessions, owed)
    assert (row.status, row.attempts) == (rules.PENDING, 1)
    assert row.last_error


async def test_another_4xx_fails_that_delivery_only(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    owed, other = await _event(sessions), await _event(sessions)

    await worker.send(sessions, owed, sender=sender_for(Receiver(status=400)))

    assert (await delivery(sessions, owed)).status == rules.FAILED
    assert (await delivery(sessions, other)).status == rules.PENDING
    async with sessions() as session:
        assert (await session.get(WebhookSubscription, subscription.id)).active


async def test_a_410_ends_the_subscription_and_what_it_was_owed(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    kept = await subscribe(sessions, creds.client_id, url="https://other.example/hook")
    await _event(sessions)
    await _event(sessions)
    mine = [d.id for d in await deliveries(sessions) if d.subscription_id == subscription.id]
    owed, waiting = mine[0], mine[1]
    theirs = [d.id for d in await deliveries(sessions) if d.subscription_id == kept.id]

    await worker.send(sessions, owed, sender=sender_for(Receiver(status=410)))

    async with sessions() as session:
        gone = await session.get(WebhookSubscription, subscription.id)
        assert (gone.active, gone.disabled_reason) == (False, "receiver answered 410 Gone")
        assert (await session.get(WebhookSubscription, kept.id)).active
    states = {d.id: d.status for d in await deliveries(sessions)}
    assert states[owed] == states[waiting] == rules.FAILED
    assert [states[i] for i in theirs] == [rules.PENDING] * 2
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        await record_event(session, names.PICKING)
        await session.commit()
    assert len(await deliveries(sessions)) == 5, "a disabled subscription is owed nothing new"


async def test_redelivery_keeps_the_webhook_id(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    owed = await _event(sessions)
    receiver = Receiver()
    clock = Clock()
    sender = sender_for(receiver, clock)
    await worker.send(sessions, owed, sender=sender, clock=clock)

    async with sessions() as session:
        again, _ = await service.redeliver(session, delivery_id=owed, client_id=creds.client_id)
        assert again.status == rules.PENDING
        await session.commit()
    clock.advance(timedelta(seconds=30))
    await worker.send(sessions, owed, sender=sender, clock=clock)

    first, second = receiver.calls
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{owed}"
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert first.content == second.content
    for call in receiver.calls:
        Webhook(subscription.signing_secret).verify(call.content, dict(call.headers))
    assert len(await attempts(sessions, owed)) == 2


async def test_only_the_first_kilobyte_of_an_answer_is_kept(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    owed = await _event(sessions)
    big = Receiver(answer=lambda r: httpx.Response(200, text="é" * 5000))

    await worker.send(sessions, owed, sender=sender_for(big))

    [attempt] = await attempts(sessions, owed)
    assert attempt.response_excerpt is not None
    assert attempt.response_excerpt.startswith("éé")
    assert len(attempt.response_excerpt.encode()) <= 1024 + 3
