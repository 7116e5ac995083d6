"""The broker and the shared feed, without HTTP: bounded backlog, dropping, shared reads,
publishing only what was committed."""

import asyncio

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.stream import live
from aftercart.events.stream.broker import Broker, Subscription
from aftercart.events.stream.feed import OrderFeed
from aftercart.events.stream.service import Heads, Message
from aftercart.models import Order
from tests import factories
from tests.stream.helpers import WAIT, record


async def _orders(sessions: async_sessionmaker[AsyncSession], count: int) -> list[Order]:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        orders = [
            await factories.insert_order(session, user=user, store=store, products=[])
            for _ in range(count)
        ]
        await session.commit()
    return orders


async def test_a_subscription_keeps_only_a_count_and_the_newest_id() -> None:
    subscription = Subscription(1, max_pending=3)
    for event_id in (5, 9, 7):
        subscription.notify(event_id)
    assert await subscription.wait(1) == 9
    assert await subscription.wait(0.01) == 0
    assert not subscription.dropped


async def test_a_subscription_past_its_bound_is_dropped() -> None:
    subscription = Subscription(1, max_pending=3)
    for event_id in range(1, 5):
        subscription.notify(event_id)
    assert subscription.dropped


async def test_publish_drops_only_the_subscriber_that_fell_behind(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    broker = Broker(sessions, max_pending=2, poll_seconds=60)
    slow = broker.subscribe(7)
    keen = broker.subscribe(7)
    for event_id in (1, 2):
        broker.publish(7, event_id)
    assert await keen.wait(1) == 2
    broker.publish(7, 3)

    assert slow.dropped
    assert not keen.dropped
    assert broker.subscriber_count(7) == 1
    broker.unsubscribe(keen)
    assert broker.subscriber_count() == 0


async def test_publish_wakes_listeners_for_every_event(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    broker = Broker(sessions, max_pending=2, poll_seconds=60)
    woken: list[str] = []
    broker.add_listener(lambda: woken.append("worker"))
    broker.publish(None, 1)
    broker.publish(3, 2)
    assert woken == ["worker", "worker"]


async def test_a_stream_that_stops_reading_is_dropped(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (order,) = await _orders(sessions, 1)
    broker: Broker = app.state.broker
    stream = live.order_stream(broker, order_pk=order.id, after=None, max_seconds=60)
    assert await anext(stream) == live.OPEN
    for event_id in range(app.state.settings.stream_max_pending + 1):
        broker.publish(order.id, 10_000 + event_id)
        await broker.settle()

    assert broker.subscriber_count(order.id) == 0
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(stream), WAIT)


async def test_a_stream_ends_when_its_lifetime_is_over(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (order,) = await _orders(sessions, 1)
    broker: Broker = app.state.broker
    stream = live.order_stream(broker, order_pk=order.id, after=None, max_seconds=0.2)
    sent = [chunk async for chunk in stream]
    assert sent == [live.OPEN]
    assert broker.subscriber_count(order.id) == 0


async def test_only_committed_events_are_announced(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Notifications arrive in commit order, so the rolled-back event would come first."""
    rolled_back_order, committed_order = await _orders(sessions, 2)
    broker: Broker = app.state.broker
    rolled_back = broker.subscribe(rolled_back_order.id)
    committed = broker.subscribe(committed_order.id)
    try:
        async with sessions() as session:
            row = await session.get(Order, rolled_back_order.id)
            await record_event(session, names.CHAT_MESSAGE, order=row)
            await session.rollback()
        event_id = await record(sessions, committed_order)

        assert await committed.wait(WAIT) == event_id
        assert await rolled_back.wait(0) == 0
    finally:
        broker.unsubscribe(rolled_back)
        broker.unsubscribe(committed)


def _message(event_id: int) -> Message:
    return Message(event_id, f"m{event_id}".encode())


async def test_one_read_serves_every_stream_of_an_order() -> None:
    table: list[Message] = []
    reads: list[int] = []

    async def fetch(after: int, limit: int) -> list[Message]:
        reads.append(after)
        await asyncio.sleep(0.01)
        return [m for m in table if m.event_id > after][:limit]

    async def load_heads() -> Heads:
        return Heads(order=10, overall=10)

    feed = OrderFeed(fetch=fetch, load_heads=load_heads, size=100)
    await feed.catch_up(0)
    table.extend(_message(i) for i in (11, 12, 13))
    feed.want(13)
    await asyncio.gather(*(feed.catch_up(13) for _ in range(50)))

    assert reads == [10, 10]
    assert [m.event_id for m in feed.since(11)] == [12, 13]


async def test_the_feed_keeps_a_bounded_tail_and_says_what_it_covers() -> None:
    table = [_message(i) for i in range(1, 11)]

    async def fetch(after: int, limit: int) -> list[Message]:
        return [m for m in table if m.event_id > after][:limit]

    async def load_heads() -> Heads:
        return Heads(order=0, overall=0)

    feed = OrderFeed(fetch=fetch, load_heads=load_heads, size=4)
    await feed.catch_up(10)

    assert feed.head == 10
    assert feed.covers(6)
    assert not feed.covers(5)
    assert [m.event_id for m in feed.since(6)] == [7, 8, 9, 10]
