"""Telling open streams that their order has new events.

A notification only says "order X has an event with id N": a stream then reads the events table
(through its order's :class:`OrderFeed`) for everything after the last id it sent. So a lost,
late, repeated or spurious notification costs a delay or a read, never an event or a duplicate.

Notifications come from the commit hook (``memory``: this process only) or from PostgreSQL
``LISTEN`` (``postgres``: every process on the database), and, as a fallback for notifications
that never arrived, from a periodic check of the table.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events.stream import service
from aftercart.events.stream.feed import OrderFeed
from aftercart.events.stream.service import Message

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
#: Called (synchronously, on the event loop) for every notification, e.g. to wake the webhook
#: worker early.
Listener = Callable[[], None]

CACHE_SIZE = 256


class Subscription:
    """One stream's interest in one order.

    Its backlog is a count of notifications it has not yet taken, so it costs the same memory
    however far behind it falls; past ``max_pending`` the subscription is dropped (its stream
    ends, and the client resumes with ``Last-Event-ID`` from the table).
    """

    def __init__(self, order_pk: int, *, max_pending: int) -> None:
        self.order_pk = order_pk
        self.dropped = False
        self._max_pending = max_pending
        self._pending = 0
        self._latest = 0
        self._signal = asyncio.Event()

    def notify(self, event_id: int) -> None:
        self._pending += 1
        self._latest = max(self._latest, event_id)
        if self._pending > self._max_pending:
            self.dropped = True
        self._signal.set()

    def drop(self) -> None:
        self.dropped = True
        self._signal.set()

    async def wait(self, timeout: float) -> int:
        """The newest event id notified since the last call; 0 if none came within ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                await self._signal.wait()
        except TimeoutError:
            return 0
        self._signal.clear()
        latest, self._latest, self._pending = self._latest, 0, 0
        return latest


class Broker:
    """Subscriptions per order, fed by :meth:`publish`; one per process (``app.state.broker``)."""

    def __init__(self, sessions: Sessions, *, max_pending: int, poll_seconds: float) -> None:
        self._sessions = sessions
        self._max_pending = max_pending
        self._poll_seconds = poll_seconds
        self._feeds: dict[int, OrderFeed] = {}
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._listeners: list[Listener] = []
        self._reading: dict[int, asyncio.Task[None]] = {}
        self._check_now = asyncio.Event()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe(self, order_pk: int) -> Subscription:
        subscription = Subscription(order_pk, max_pending=self._max_pending)
        self._subscriptions.setdefault(order_pk, set()).add(subscription)
        if order_pk not in self._feeds:
            self._feeds[order_pk] = self._new_feed(order_pk)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.order_pk)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscriptions[subscription.order_pk]
            self._feeds.pop(subscription.order_pk, None)

    def subscriber_count(self, order_pk: int | None = None) -> int:
        if order_pk is not None:
            return len(self._subscriptions.get(order_pk, ()))
        return sum(len(subs) for subs in self._subscriptions.values())

    def publish(self, order_pk: int | None, event_id: int) -> None:
        """An event was committed. Call only after the commit.

        The order's feed reads the new rows first and then wakes its streams, so that each
        stream is woken once and finds the rows already read.
        """
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("event listener failed")
        feed = self._feeds.get(order_pk) if order_pk is not None else None
        if order_pk is None or feed is None:
            return
        feed.want(event_id)
        if not feed.loaded:
            self._notify(order_pk, event_id)
        elif order_pk not in self._reading:
            self._reading[order_pk] = asyncio.create_task(self._read_then_notify(order_pk, feed))

    async def _read_then_notify(self, order_pk: int, feed: OrderFeed) -> None:
        try:
            await feed.catch_up(0)
        except Exception:
            # The streams are woken all the same: each tries the read itself, and one that
            # fails ends, so that its client reconnects and resumes from the table.
            log.exception("reading new events of order %s failed", order_pk)
        finally:
            # Before waking anyone and with no await in between: a publish from now on starts
            # a new read, so an event committed during this one is never left unread.
            del self._reading[order_pk]
        self._notify(order_pk, feed.wanted)

    def _notify(self, order_pk: int, event_id: int) -> None:
        for subscription in list(self._subscriptions.get(order_pk, ())):
            subscription.notify(event_id)
            if subscription.dropped:
                log.info("event stream of order %s fell behind and was dropped", order_pk)
                self.unsubscribe(subscription)

    async def start_after(self, order_pk: int) -> int:
        """Where a stream that does not resume starts: after the order's newest event."""
        feed = self._feeds[order_pk]
        await feed.catch_up(0)
        return feed.head

    async def read(self, order_pk: int, *, after: int, needed: int) -> list[Message]:
        """The order's streamed events after ``after``, including every one notified up to
        ``needed``; from the shared cache when it reaches back that far, else from the table."""
        feed = self._feeds.get(order_pk)
        if feed is not None:
            await feed.catch_up(needed)
            if feed.covers(after):
                return feed.since(after)
        return await self._fetch(order_pk, after, CACHE_SIZE)

    async def settle(self) -> None:
        """Waits until the reads in flight have woken their streams."""
        while self._reading:
            await asyncio.gather(*self._reading.values(), return_exceptions=True)

    def check_table_now(self) -> None:
        """Ask the fallback check to run at once (e.g. after the LISTEN connection was lost)."""
        self._check_now.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Runs the fallback table check; on exit ends every open stream."""
        task = asyncio.create_task(self._check_table_forever(), name="event-stream-check")
        try:
            yield
        finally:
            tasks = [task, *self._reading.values()]
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for subscribers in list(self._subscriptions.values()):
                for subscription in list(subscribers):
                    subscription.drop()
            self._subscriptions.clear()
            self._feeds.clear()

    def _new_feed(self, order_pk: int) -> OrderFeed:
        async def fetch(after: int, limit: int) -> list[Message]:
            return await self._fetch(order_pk, after, limit)

        async def load_heads() -> service.Heads:
            async with self._sessions() as session:
                return await service.heads(session, order_pk=order_pk)

        return OrderFeed(fetch=fetch, load_heads=load_heads, size=CACHE_SIZE)

    async def _fetch(self, order_pk: int, after: int, limit: int) -> list[Message]:
        async with self._sessions() as session:
            return await service.events_after(session, order_pk=order_pk, after=after, limit=limit)

    async def _check_table_forever(self) -> None:
        """The fallback: every ``poll_seconds``, the orders with events past the last check
        are notified if their feed has not read them, so a missed notification is a delay."""
        cursor: int | None = None
        while True:
            try:
                async with self._sessions() as session:
                    if cursor is None:
                        cursor = await service.latest_id(session)
                    else:
                        newest = await service.latest_id(session)
                        changed = await service.orders_changed_since(session, after=cursor)
                        cursor = max(cursor, newest)
                        self._announce_missed(changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking the events table for streams failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._check_now.wait()
            self._check_now.clear()

    def _announce_missed(self, changed: dict[int, int]) -> None:
        for order_pk, newest in changed.items():
            feed = self._feeds.get(order_pk)
            if feed is not None and feed.loaded and newest > feed.head:
                feed.invalidate()
                self.publish(order_pk, newest)
