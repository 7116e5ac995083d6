"""One order's recent events, read once from the table and handed to all of its streams.

When a notification arrives for an order watched by a thousand streams, the feed reads the new
rows once and puts each already-encoded message in every stream's own bounded queue. A stream
never reads the table or the cache for a live event; it reads the table only for a backlog from
further back than the cache reaches, before it joins the feed.
"""

import asyncio
import bisect
from collections.abc import Awaitable, Callable

from aftercart.events.stream.service import Heads, Message

#: ``fetch(after, limit)``: the order's streamed events with id > ``after``, oldest first.
Fetch = Callable[[int, int], Awaitable[list[Message]]]
LoadHeads = Callable[[], Awaitable[Heads]]
#: Told of a subscription dropped because its queue was full.
OnDrop = Callable[["Subscription"], None]

PAGE = 200


class Subscription:
    """One stream's queue of encoded messages, holding at most ``limit`` of them.

    A message that would go past the bound drops the subscription instead: its stream ends and
    the client resumes with ``Last-Event-ID`` from the table. So a stream that cannot keep up
    costs the others nothing and never holds more than ``limit`` references.

    Waiting costs one future per wakeup and nothing else that outlives it, because with a
    thousand streams, whatever each keeps between two events soon makes the garbage collector
    walk the whole heap.
    """

    __slots__ = (
        "_chunks",
        "_limit",
        "_loop",
        "_waiter",
        "closed",
        "cursor",
        "dropped",
        "joined",
        "order_pk",
    )

    def __init__(self, order_pk: int, *, limit: int) -> None:
        self.order_pk = order_pk
        #: The id of the newest event queued, so that nothing is queued twice.
        self.cursor = 0
        #: Whether the feed queues new events to it (its stream has sent its backlog).
        self.joined = False
        self.closed = False
        self.dropped = False
        self._limit = limit
        self._chunks: list[bytes] = []
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, message: Message) -> bool:
        """Queues the message; False (and the subscription dropped) when the queue is full."""
        if len(self._chunks) >= self._limit:
            self.dropped = True
            self.close()
            return False
        self._chunks.append(message.data)
        self.cursor = message.event_id
        self.wake()
        return True

    def close(self) -> None:
        self.closed = True
        self.wake()

    def wake(self) -> None:
        """Resolves the future of :meth:`changed`, if one is waited on."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def take(self) -> list[bytes]:
        """Everything queued (possibly nothing), oldest first."""
        chunks = self._chunks.copy()
        self._chunks.clear()
        return chunks

    def changed(self) -> asyncio.Future[None]:
        """Resolves at the next message, :meth:`wake` or :meth:`close`; at once if a message
        is queued or the subscription is closed."""
        waiter = self._loop.create_future()
        if self._chunks or self.closed:
            waiter.set_result(None)
        else:
            self._waiter = waiter
        return waiter


class OrderFeed:
    """Holds, for one order, every streamed event with ``floor < id <= head``, and queues each
    one it reads to the subscriptions that joined it.

    ``checked`` is a global event id up to which the table has been read for this order:
    an event known to be committed with id <= ``checked`` is in the cache (or at or below
    ``floor``). A notification raises ``wanted``; the next read catches ``checked`` up to it.
    """

    def __init__(self, *, fetch: Fetch, load_heads: LoadHeads, size: int, on_drop: OnDrop) -> None:
        self._fetch = fetch
        self._load_heads = load_heads
        self._size = size
        self._on_drop = on_drop
        self._ids: list[int] = []
        self._messages: list[Message] = []
        self._reading: asyncio.Future[None] | None = None
        #: Every subscription of the order, joined or still sending its backlog.
        self.members: set[Subscription] = set()
        self._joined: set[Subscription] = set()
        self.loaded = False
        self.floor = 0
        self.head = 0
        self.checked = 0
        self.wanted = 0

    def want(self, event_id: int) -> None:
        self.wanted = max(self.wanted, event_id)

    def invalidate(self) -> None:
        """Forget what was read past ``head``: a table check found events a notification
        should have announced, so the next read goes back to the table."""
        self.checked = min(self.checked, self.head)

    async def catch_up(self, needed: int) -> None:
        """Makes sure every event up to ``needed`` (and all that were notified) is read.

        One read runs at a time; whoever needs it awaits that same read, so a notification
        costs one query however many streams watch the order.
        """
        self.want(needed)
        while not (self.loaded and self.checked >= self.wanted):
            if self._reading is None or self._reading.done():
                self._reading = asyncio.ensure_future(self._read())
            await asyncio.shield(self._reading)

    async def _read(self) -> None:
        if not self.loaded:
            heads = await self._load_heads()
            self.floor = self.head = heads.order
            self.checked = heads.overall
            self.loaded = True
        target = self.wanted
        while True:
            page = await self._fetch(self.head, PAGE)
            self._append(page)
            if len(page) < PAGE:
                break
        self.checked = max(self.checked, target)

    def covers(self, after: int) -> bool:
        return self.loaded and after >= self.floor

    def since(self, after: int) -> list[Message]:
        return self._messages[bisect.bisect_right(self._ids, after) :]

    def join(self, subscription: Subscription, after: int) -> list[Message]:
        """From now on every new message past ``after`` goes to the subscription's queue;
        returns those already held, which its stream sends first. Whoever joins has checked
        that none older is missing: :meth:`covers` ``(after)``, or nothing left in the table."""
        backlog = self.since(after)
        subscription.cursor = max(after, self.head)
        subscription.joined = True
        self._joined.add(subscription)
        return backlog

    def leave(self, subscription: Subscription) -> None:
        self.members.discard(subscription)
        self._joined.discard(subscription)

    def _append(self, messages: list[Message]) -> None:
        if not messages:
            return
        for message in messages:
            self._ids.append(message.event_id)
            self._messages.append(message)
        self.head = messages[-1].event_id
        extra = len(self._ids) - self._size
        if extra > 0:
            self.floor = self._ids[extra - 1]
            del self._ids[:extra]
            del self._messages[:extra]
        self._deliver(messages)

    def _deliver(self, messages: list[Message]) -> None:
        """The fan-out: per subscription, a comparison and a reference appended to a list."""
        dropped: list[Subscription] = []
        for subscription in self._joined:
            for message in messages:
                if message.event_id > subscription.cursor and not subscription.put(message):
                    dropped.append(subscription)
                    break
        for subscription in dropped:
            self.leave(subscription)
            self._on_drop(subscription)
