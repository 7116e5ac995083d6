"""Bearer tokens remembered in memory, so that a request is authenticated without a database
round trip.

An entry is keyed by the token's digest and holds who the token speaks for. It is used only while
all of these hold: the token has not expired; the entry is younger than ``max_age``; and no
revocation (or user deactivation) was recorded since the entry was read. Revocations are counted
in the ``auth_changes`` table: every process reads the newest count every ``poll_seconds``
(:func:`aftercart.auth.service.auth_generation`), and the process that made the change forgets
its entries as soon as it commits. So a revoked token stops working in every process within one
poll interval.
"""

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart import tasks
from aftercart.auth.service import LiveToken, auth_generation
from aftercart.db.types import utcnow

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class CachedToken:
    token: LiveToken
    #: The generation (see :class:`TokenCache`) when the token was read from the database.
    generation: tuple[int, int]
    read_at: float


class TokenCache:
    """A bounded LRU of live tokens, invalidated by generation.

    The generation is the pair (newest database change count, local forget count). Callers take
    :attr:`generation` *before* reading a token from the database and store the entry with it,
    so a change committed during that read makes the entry stale at once.
    """

    def __init__(
        self, *, max_entries: int = MAX_ENTRIES, max_age_seconds: float = MAX_AGE_SECONDS
    ) -> None:
        self._entries: OrderedDict[str, CachedToken] = OrderedDict()
        self._max_entries = max_entries
        self._max_age = max_age_seconds
        self._database_changes = -1
        self._forgotten = 0
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called (on the event loop) whenever the generation moves on, i.e. a revocation or a
        deactivation may have happened: how open event streams learn to check their tokens."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("token cache listener failed")

    @property
    def generation(self) -> tuple[int, int]:
        return (self._database_changes, self._forgotten)

    @property
    def synced(self) -> bool:
        """False until the change count has been read once (nothing is served from the cache
        before that)."""
        return self._database_changes >= 0

    def get(self, key: str, *, now: float) -> LiveToken | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            entry.generation != self.generation
            or now - entry.read_at > self._max_age
            or entry.token.expires_at <= utcnow()
        ):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.token

    def put(self, key: str, entry: CachedToken) -> None:
        if not self.synced or entry.generation != self.generation:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def database_changed(self, count: int) -> None:
        """The newest change count read from the database; a new one empties the cache."""
        if count != self._database_changes:
            self._database_changes = count
            self._entries.clear()
            self._changed()

    def unsynced(self) -> None:
        """The change count could not be read: serve nothing from memory until it is again."""
        self._database_changes = -1
        self._entries.clear()

    def forget_all(self) -> None:
        """This process committed a change: entries read before it are stale."""
        self._forgotten += 1
        self._entries.clear()
        self._changed()

    def __len__(self) -> int:
        return len(self._entries)


@contextlib.asynccontextmanager
async def kept_in_sync(
    cache: TokenCache, sessions: async_sessionmaker[AsyncSession], *, poll_seconds: float
) -> AsyncIterator[None]:
    """Reads the auth change count once now, then every ``poll_seconds`` while in the block."""
    await _sync(cache, sessions)
    async with tasks.running(_sync_forever(cache, sessions, poll_seconds), name="token-cache"):
        yield


async def _sync_forever(
    cache: TokenCache, sessions: async_sessionmaker[AsyncSession], poll_seconds: float
) -> None:
    while True:
        await asyncio.sleep(poll_seconds)
        await _sync(cache, sessions)


async def _sync(cache: TokenCache, sessions: async_sessionmaker[AsyncSession]) -> None:
    try:
        async with sessions() as session:
            cache.database_changed(await auth_generation(session))
    except Exception:
        if cache.synced:
            log.warning("reading auth changes failed; tokens are checked in the database")
        cache.unsynced()
