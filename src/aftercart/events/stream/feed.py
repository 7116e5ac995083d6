"""One order's recent events, read once from the table and shared by all of its streams.

When a notification wakes a thousand streams of one order, one of them reads the new rows and the
others take them from here; a stream that resumes from further back than the cache reaches reads
the table itself.
"""

import asyncio
import bisect
from collections.abc import Awaitable, Callable

from aftercart.events.stream.service import Heads, Message

#: ``fetch(after, limit)``: the order's streamed events with id > ``after``, oldest first.
Fetch = Callable[[int, int], Awaitable[list[Message]]]
LoadHeads = Callable[[], Awaitable[Heads]]

PAGE = 200


class OrderFeed:
    """Holds, for one order, every streamed event with ``floor < id <= head``.

    ``checked`` is a global event id up to which the table has been read for this order:
    an event known to be committed with id <= ``checked`` is in the cache (or at or below
    ``floor``). A notification raises ``wanted``; the next read catches ``checked`` up to it.
    """

    def __init__(self, *, fetch: Fetch, load_heads: LoadHeads, size: int) -> None:
        self._fetch = fetch
        self._load_heads = load_heads
        self._size = size
        self._ids: list[int] = []
        self._messages: list[Message] = []
        self._reading: asyncio.Future[None] | None = None
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

        One read runs at a time; every stream that needs it awaits that same read, so a
        notification that wakes a thousand streams costs one query and wakes them all at once.
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

    def _append(self, messages: list[Message]) -> None:
        for message in messages:
            self._ids.append(message.event_id)
            self._messages.append(message)
            self.head = message.event_id
        extra = len(self._ids) - self._size
        if extra > 0:
            self.floor = self._ids[extra - 1]
            del self._ids[:extra]
            del self._messages[:extra]
