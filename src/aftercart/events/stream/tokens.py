"""Open streams end when their token dies.

At expiry: a stream knows when its token expires and ends then (:mod:`.live`). At revocation,
or when the token's user is deactivated: every process's token cache learns of the change
within ``AFTERCART_TOKEN_CACHE_POLL_SECONDS`` (at once in the process that made it), and its
generation moves on. The :class:`TokenWatch` then asks the database, in one query for all the
tokens that hold streams in this process, which of them are still live, and ends the streams
of the others. A change costs each process one query whatever its number of streams, and an
open stream costs nothing while nothing changes.

The cap on open streams per token is counted in the database, across processes
(:mod:`.leases`); the streams held here are only this process's share.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart import tasks
from aftercart.auth import service as auth_service
from aftercart.auth.cache import TokenCache
from aftercart.events.stream.feed import Subscription
from aftercart.events.stream.leases import SharedCap

log = logging.getLogger(__name__)

#: After a failed check, how long before the next try.
RETRY_SECONDS = 1.0


class StreamLease:
    """One open stream's hold on its token (by digest), from the request to the stream's end."""

    __slots__ = ("_subscription", "_watch", "digest", "ended", "lease_id")

    def __init__(self, watch: "TokenWatch", digest: str, lease_id: int | None) -> None:
        self._watch = watch
        self._subscription: Subscription | None = None
        self.digest = digest
        self.ended = False
        #: The row counted by the cap across processes (None when there is no cap).
        self.lease_id = lease_id

    def attach(self, subscription: Subscription) -> None:
        """The stream's subscription, closed when the token dies (at once if it already has)."""
        self._subscription = subscription
        if self.ended:
            subscription.close()

    def end(self) -> None:
        self.ended = True
        if self._subscription is not None:
            self._subscription.close()

    async def release(self) -> None:
        """The stream is over: its place under the cap is given back."""
        await self._watch.forget(self)


class TokenWatch:
    """The streams of this process by token (``app.state.stream_tokens``), ended when their
    token is no longer live, each opened under the token's ``cap``."""

    def __init__(
        self,
        cache: TokenCache,
        sessions: async_sessionmaker[AsyncSession],
        *,
        cap: SharedCap,
    ) -> None:
        self._cache = cache
        self._sessions = sessions
        self._cap = cap
        self._leases: dict[str, set[StreamLease]] = {}
        self._changed = asyncio.Event()
        cache.add_listener(self._changed.set)

    async def open(self, digest: str, *, checked_at: tuple[int, int]) -> StreamLease:
        """A lease for a new stream of the token, which was found live at the cache generation
        ``checked_at``: if the generation has moved on since, the token is checked again.
        Raises :class:`~aftercart.errors.CapReached` when the token has all the streams it may."""
        lease = StreamLease(self, digest, await self._cap.take(digest))
        self._leases.setdefault(digest, set()).add(lease)
        if checked_at != self._cache.generation:
            self._changed.set()
        return lease

    async def forget(self, lease: StreamLease) -> None:
        # The row goes first: once this process counts the stream no more, neither does the cap.
        if lease.lease_id is not None:
            await self._cap.give_back(lease.lease_id)
        leases = self._leases.get(lease.digest)
        if leases is not None:
            leases.discard(lease)
            if not leases:
                del self._leases[lease.digest]

    def streams_of(self, digest: str) -> int:
        return len(self._leases.get(digest, ()))

    async def check(self) -> None:
        """Ends the streams whose token is no longer live."""
        digests = list(self._leases)
        if not digests:
            return
        async with self._sessions() as session:
            live = await auth_service.live_among(session, digests)
        for digest in digests:
            if digest not in live:
                for lease in list(self._leases.get(digest, ())):
                    lease.end()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with tasks.running(self._check_on_change(), name="stream-token-watch"):
            yield

    async def _check_on_change(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self.check()
            except Exception:
                log.warning("checking the tokens of open streams failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                self._changed.set()
