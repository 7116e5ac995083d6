"""The broker and the shared feed, without HTTP: bounded queues, dropping, one read and one
encoding shared by every stream, publishing only what was committed."""

import asyncio

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

Sessions = async_sessionmaker[AsyncSession]


async def _orders(sessions: Sessions, count: int) -> list[Order]:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        orders = [
            await factories.insert_order(session, user=user, store=store, products=[])
            for _ in range(count)
        ]
        await session.commit()
    return orders


def _message(event_id: int) -> Message:
    return Message(event_id, f"m{event_id}".encode())


async def _nothing_queued(subscription: Subscription) -> bool:
    try:
        await asyncio.wait_for(subscription.changed(), 0.05)
    except TimeoutError:
        return not subscription.take()
    return False


async def _next(subscription: Subscription) -> list[bytes]:
    await asyncio.wait_for(subscription.changed(), WAIT)
    return subscription.take()


async def _joined(broker: Broker, order_pk: int) -> Subscription:
    """A subscription that has joined its order's feed (after the order's newest event)."""
    subscription = broker.subscribe(order_pk)
    assert await broker.backlog(subscription, after=await broker.start_after(order_pk)) == []
    assert subscription.joined
    return subscription


async def test_a_subscription_hands_over_everything_queued_at_once() -> None:
    subscription = Subscription(1, limit=3)
    for event_id in (5, 7, 9):
        assert subscription.put(_message(event_id))

    assert await _next(subscription) == [b"m5", b"m7", b"m9"]
    assert subscription.cursor == 9
    assert await _nothing_queued(subscription)
    assert not subscription.dropped


async def test_a_subscription_past_its_bound_is_dropped_and_closed() -> None:
    subscription = Subscription(1, limit=3)
    assert all(subscription.put(_message(event_id)) for event_id in range(1, 4))
    assert not subscription.put(_message(4))

    assert subscription.dropped
    assert subscription.closed
    assert subscription.cursor == 3


async def test_publish_drops_only_the_subscriber_that_fell_behind(sessions: Sessions) -> None:
    (order,) = await _orders(sessions, 1)
    broker = Broker(sessions, max_pending=2, poll_seconds=60)
    slow = await _joined(broker, order.id)
    keen = await _joined(broker, order.id)
    for step in range(2):
        broker.publish(order.id, await record(sessions, order, step=step))
        await broker.settle()
    assert len(await _next(keen)) == 2
    broker.publish(order.id, await record(sessions, order, step=2))
    await broker.settle()

    assert slow.dropped
    assert not keen.dropped
    assert len(await _next(keen)) == 1
    assert broker.subscriber_count(order.id) == 1
    broker.unsubscribe(keen)
    assert broker.subscriber_count() == 0


async def test_publish_wakes_listeners_for_every_event(sessions: Sessions) -> None:
    broker = Broker(sessions, max_pending=2, poll_seconds=60)
    woken: list[str] = []
    broker.add_listener(lambda: woken.append("worker"))
    broker.publish(None, 1)
    broker.publish(3, 2)
    assert woken == ["worker", "worker"]


async def test_a_stream_that_stops_reading_is_dropped(app: FastAPI, sessions: Sessions) -> None:
    (order,) = await _orders(sessions, 1)
    broker: Broker = app.state.broker
    subscription = broker.subscribe(order.id)
    written: list[bytes] = []

    async def write(chunk: bytes) -> None:
        written.append(chunk)
        if chunk.startswith(b"id: "):
            await asyncio.Event().wait()  # the client stops reading

    pumping = asyncio.create_task(
        live.pump(broker, subscription, write, after=0, keepalive_seconds=60, max_seconds=60)
    )
    try:
        async with asyncio.timeout(WAIT):
            while not subscription.joined:
                await asyncio.sleep(0.01)
        for n in range(app.state.settings.stream_max_pending + 2):
            broker.publish(order.id, await record(sessions, order, n=n))
            await broker.settle()

        assert subscription.dropped
        assert broker.subscriber_count(order.id) == 0
        assert len(written) == 2  # the open comment and the first event
    finally:
        pumping.cancel()  # a send that never returns is cut by the send timeout


async def _written(
    broker: Broker, order_pk: int, count: int, *, keepalive_seconds: float, max_seconds: float
) -> list[bytes]:
    """The first ``count`` chunks a stream of the order writes (fewer if it ends first)."""
    written: list[bytes] = []
    enough = asyncio.Event()

    async def write(chunk: bytes) -> None:
        written.append(chunk)
        if len(written) == count:
            enough.set()

    pumping = asyncio.create_task(
        live.pump(
            broker,
            broker.subscribe(order_pk),
            write,
            after=None,
            keepalive_seconds=keepalive_seconds,
            max_seconds=max_seconds,
        )
    )
    async with asyncio.timeout(WAIT):
        await asyncio.wait(
            [pumping, asyncio.create_task(enough.wait())], return_when="FIRST_COMPLETED"
        )
    pumping.cancel()
    await asyncio.gather(pumping, return_exceptions=True)
    return written


async def test_a_stream_ends_when_its_lifetime_is_over(app: FastAPI, sessions: Sessions) -> None:
    (order,) = await _orders(sessions, 1)
    broker: Broker = app.state.broker
    sent = await _written(broker, order.id, 10, keepalive_seconds=60, max_seconds=0.2)

    assert sent == [live.OPEN]
    assert broker.subscriber_count(order.id) == 0


async def test_a_quiet_stream_sends_keep_alives(app: FastAPI, sessions: Sessions) -> None:
    (order,) = await _orders(sessions, 1)
    broker: Broker = app.state.broker
    sent = await _written(broker, order.id, 4, keepalive_seconds=0.05, max_seconds=60)

    assert sent == [live.OPEN, live.KEEP_ALIVE, live.KEEP_ALIVE, live.KEEP_ALIVE]
    assert broker.subscriber_count(order.id) == 0


async def test_only_committed_events_are_announced(app: FastAPI, sessions: Sessions) -> None:
    """Notifications arrive in commit order, so the rolled-back event would come first."""
    rolled_back_order, committed_order = await _orders(sessions, 2)
    broker: Broker = app.state.broker
    rolled_back = await _joined(broker, rolled_back_order.id)
    committed = await _joined(broker, committed_order.id)
    try:
        async with sessions() as session:
            row = await session.get(Order, rolled_back_order.id)
            await record_event(session, names.CHAT_MESSAGE, order=row)
            await session.rollback()
        event_id = await record(sessions, committed_order)

        (chunk,) = await _next(committed)
        assert chunk.startswith(f"id: {event_id}\r\n".encode())
        assert await _nothing_queued(rolled_back)
    finally:
        broker.unsubscribe(rolled_back)
        broker.unsubscribe(committed)


def _feed(
    table: list[Message],
    *,
    size: int = 100,
    head: int = 0,
    reads: list[int] | None = None,
    dropped: list[Subscription] | None = None,
) -> OrderFeed:
    """A feed over ``table``; records the ``after`` of each read and the dropped subscriptions."""

    async def fetch(after: int, limit: int) -> list[Message]:
        if reads is not None:
            reads.append(after)
        await asyncio.sleep(0.01)
        return [m for m in table if m.event_id > after][:limit]

    async def load_heads() -> Heads:
        return Heads(order=head, overall=head)

    on_drop = dropped.append if dropped is not None else lambda _subscription: None
    return OrderFeed(fetch=fetch, load_heads=load_heads, size=size, on_drop=on_drop)


async def test_one_read_serves_every_stream_of_an_order() -> None:
    table: list[Message] = []
    reads: list[int] = []
    feed = _feed(table, head=10, reads=reads)
    await feed.catch_up(0)
    table.extend(_message(i) for i in (11, 12, 13))
    feed.want(13)
    await asyncio.gather(*(feed.catch_up(13) for _ in range(50)))

    assert reads == [10, 10]
    assert [m.event_id for m in feed.since(11)] == [12, 13]


async def test_the_feed_queues_each_message_once_encoded_to_every_joined_stream() -> None:
    table = [_message(1)]
    feed = _feed(table)
    await feed.catch_up(1)
    subscriptions = [Subscription(7, limit=4) for _ in range(3)]
    backlogs = [feed.join(s, after) for s, after in zip(subscriptions, (0, 1, 5), strict=True)]
    table.extend(_message(i) for i in (2, 6))
    await feed.catch_up(6)

    assert [[m.event_id for m in b] for b in backlogs] == [[1], [], []]
    taken = [s.take() for s in subscriptions]
    assert taken[:2] == [[b"m2", b"m6"]] * 2
    assert taken[2] == [b"m6"]  # it resumed after 5
    # The very same bytes, not a copy per stream.
    assert all(chunks[-1] is feed.since(5)[0].data for chunks in taken)


async def test_the_feed_drops_a_full_subscription_and_still_serves_the_rest() -> None:
    table: list[Message] = []
    dropped: list[Subscription] = []
    feed = _feed(table, dropped=dropped)
    await feed.catch_up(0)
    slow, keen = Subscription(7, limit=2), Subscription(7, limit=2)
    for subscription in (slow, keen):
        feed.members.add(subscription)
        feed.join(subscription, 0)
    for event_id in (1, 2, 3):
        table.append(_message(event_id))
        await feed.catch_up(event_id)
        if event_id < 3:
            keen.take()

    assert dropped == [slow]
    assert feed.members == {keen}
    assert keen.take() == [b"m3"]


async def test_the_feed_keeps_a_bounded_tail_and_says_what_it_covers() -> None:
    feed = _feed([_message(i) for i in range(1, 11)], size=4)
    await feed.catch_up(10)

    assert feed.head == 10
    assert feed.covers(6)
    assert not feed.covers(5)
    assert [m.event_id for m in feed.since(6)] == [7, 8, 9, 10]
