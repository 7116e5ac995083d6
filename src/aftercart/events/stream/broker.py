"""Telling open streams that their order has new events.

A notification only says "order X has an event with id N": the order's :class:`OrderFeed` then
reads the events table for everything after the last id it read, once, and queues the encoded
messages to each of the order's streams. So a lost, late, repeated or spurious notification
costs a delay or a read, never an event or a duplicate.

Notifications come from the commit hook (``memory``: this process only) or from PostgreSQL
``LISTEN`` (``postgres``: every process on the database), and, as a fallback for notifications
that never arrived, from a periodic check of the table.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sse_starlette.sse import AppStatus

from aftercart.events.stream import service
from aftercart.events.stream.feed import PAGE, OrderFeed, Subscription
from aftercart.events.stream.service import Message

__all__ = ["Broker", "Listener", "Sessions", "Subscription"]

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
#: Called (synchronously, on the event loop) for every notification, e.g. to wake the webhook
#: worker early.
Listener = Callable[[], None]

CACHE_SIZE = 256
#: How often the broker looks whether the server is shutting down.
EXIT_POLL_SECONDS = 0.5


def server_exiting() -> bool:
    """Whether uvicorn was told to stop: by a signal (sse-starlette's hook on
    ``Server.handle_exit`` sets ``AppStatus.should_exit``) or by setting ``should_exit`` on the
    server that installed the SIGTERM handler (how an embedding program or a test stops it).

    uvicorn waits for open responses before it runs the lifespan's shutdown, so streams have to
    notice the shutdown here, or it would wait for them forever.
    """
    if AppStatus.should_exit:
        return True
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return bool(getattr(server, "should_exit", False))


class Broker:
    """The order feeds of this process, fed by :meth:`publish`; one per process
    (``app.state.broker``). A feed lives as long as its order has a subscription."""

    def __init__(self, sessions: Sessions, *, max_pending: int, poll_seconds: float) -> None:
        self._sessions = sessions
        self._max_pending = max_pending
        self._poll_seconds = poll_seconds
        self._feeds: dict[int, OrderFeed] = {}
        self._listeners: list[Listener] = []
        self._reading: dict[int, asyncio.Task[None]] = {}
        self._check_now = asyncio.Event()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe(self, order_pk: int) -> Subscription:
        """A subscription that receives nothing until :meth:`backlog` has made it join."""
        feed = self._feeds.get(order_pk)
        if feed is None:
            feed = self._feeds[order_pk] = self._new_feed(order_pk)
        subscription = Subscription(order_pk, limit=self._max_pending)
        feed.members.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        feed = self._feeds.get(subscription.order_pk)
        if feed is None:
            return
        feed.leave(subscription)
        if not feed.members:
            del self._feeds[subscription.order_pk]

    def subscriber_count(self, order_pk: int | None = None) -> int:
        if order_pk is not None:
            feed = self._feeds.get(order_pk)
            return len(feed.members) if feed is not None else 0
        return sum(len(feed.members) for feed in self._feeds.values())

    def publish(self, order_pk: int | None, event_id: int) -> None:
        """An event was committed. Call only after the commit."""
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("event listener failed")
        feed = self._feeds.get(order_pk) if order_pk is not None else None
        if order_pk is None or feed is None:
            return
        feed.want(event_id)
        # A feed not loaded yet has no joined subscription: its first read takes the event.
        if feed.loaded and order_pk not in self._reading:
            self._reading[order_pk] = asyncio.create_task(self._read(order_pk, feed))

    async def _read(self, order_pk: int, feed: OrderFeed) -> None:
        try:
            await feed.catch_up(0)
        except Exception:
            # The order's streams end, and their clients resume from the table, rather than
            # wait for an event that this read would have queued.
            log.exception("reading new events of order %s failed", order_pk)
            for subscription in list(feed.members):
                self.unsubscribe(subscription)
        finally:
            # No await since the read last compared ``wanted``: a publish from now on starts a
            # new read, so an event committed during this one is never left unread.
            del self._reading[order_pk]

    def _dropped(self, subscription: Subscription) -> None:
        log.info("event stream of order %s fell behind and was dropped", subscription.order_pk)
        self.unsubscribe(subscription)

    async def start_after(self, order_pk: int) -> int:
        """Where a stream that does not resume starts: after the order's newest event."""
        feed = self._feeds.get(order_pk)
        if feed is None:  # closed meanwhile (shutdown): the stream ends before it reads
            return 0
        await feed.catch_up(0)
        return feed.head

    async def backlog(self, subscription: Subscription, *, after: int) -> list[Message]:
        """The next events after ``after`` that the stream sends itself, oldest first.

        Pages come from the table until the order's feed reaches back to ``after``; then the
        subscription joins the feed, the feed's messages past ``after`` are the last page, and
        :attr:`Subscription.cursor` is set: every later event is queued to it.
        """
        feed = self._feeds.get(subscription.order_pk)
        if feed is None or subscription not in feed.members:
            return []
        await feed.catch_up(0)
        if not feed.covers(after):
            page = await self._fetch(subscription.order_pk, after, PAGE)
            if page or subscription.closed:
                return page
        if subscription not in feed.members:  # dropped or closed while reading
            return []
        return feed.join(subscription, after)

    async def settle(self) -> None:
        """Waits until the reads in flight have queued their events."""
        while self._reading:
            await asyncio.gather(*self._reading.values(), return_exceptions=True)

    def check_table_now(self) -> None:
        """Ask the fallback check to run at once (e.g. after the LISTEN connection was lost)."""
        self._check_now.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Runs the fallback table check and ends every stream when the server shuts down;
        on exit ends every open stream."""
        tasks = [
            asyncio.create_task(self._check_table_forever(), name="event-stream-check"),
            asyncio.create_task(self._close_on_server_exit(), name="event-stream-exit"),
        ]
        try:
            yield
        finally:
            tasks += self._reading.values()
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._close_all()

    def _close_all(self) -> None:
        for feed in list(self._feeds.values()):
            for subscription in list(feed.members):
                self.unsubscribe(subscription)

    async def _close_on_server_exit(self) -> None:
        """Ends the open streams (cleanly: each client resumes elsewhere) once the server is
        stopping; a stream opened while it drains is ended at the next look."""
        while True:
            await asyncio.sleep(EXIT_POLL_SECONDS)
            if self._feeds and server_exiting():
                self._close_all()

    def _new_feed(self, order_pk: int) -> OrderFeed:
        async def fetch(after: int, limit: int) -> list[Message]:
            return await self._fetch(order_pk, after, limit)

        async def load_heads() -> service.Heads:
            async with self._sessions() as session:
                return await service.heads(session, order_pk=order_pk)

        return OrderFeed(fetch=fetch, load_heads=load_heads, size=CACHE_SIZE, on_drop=self._dropped)

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
