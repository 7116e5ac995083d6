"""Which limit applies to what, and where the counts live.

Every limit is a sliding window (:mod:`aftercart.limits.rules`) on one key: a client, an
address, a user. On SQLite the counts stay in this process's memory; on PostgreSQL they are
shared by every process through the ``rate_limit_counters`` table, exactly for the token
endpoints and chat, and synced in batches for the per-client API limit, which is checked on
every authenticated request and so must not cost a round trip (:mod:`aftercart.limits.postgres`).
"""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from aftercart.config import Settings
from aftercart.db.engine import create_engine
from aftercart.errors import TooManyRequests
from aftercart.limits.memory import MemoryCounters
from aftercart.limits.postgres import SyncedCounters, TableCounters
from aftercart.limits.rules import Rate, Verdict, key_for, parse_rate


class Counters(Protocol):
    """Counts that a check awaits: in memory, or one statement on the shared table."""

    async def hit(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict: ...
    async def record(self, key: str, rate: Rate, *, cost: int = 1) -> None: ...
    async def peek(self, key: str, rate: Rate) -> Verdict: ...


class LocalCounters(Protocol):
    """Counts decided without awaiting anything (the per-client API limit)."""

    def take(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict: ...


@dataclass(frozen=True)
class Rates:
    """The configured limits; ``None`` is no limit."""

    token_failures_per_client: Rate | None
    token_failures_per_address: Rate | None
    token_requests: Rate | None
    chat: Rate | None
    api: Rate | None

    @classmethod
    def of(cls, settings: Settings) -> "Rates":
        return cls(
            token_failures_per_client=parse_rate(settings.rate_limit_token_failures_per_client),
            token_failures_per_address=parse_rate(settings.rate_limit_token_failures_per_address),
            token_requests=parse_rate(settings.rate_limit_token_requests),
            chat=parse_rate(settings.rate_limit_chat),
            api=parse_rate(settings.rate_limit_api),
        )


def _refuse(verdict: Verdict, what: str) -> None:
    if not verdict.allowed:
        raise TooManyRequests(
            f"{what}; retry in {verdict.retry_after} seconds", retry_after=verdict.retry_after
        )


class Limits:
    """The application's limits (``app.state.limits``). Each check raises
    :class:`~aftercart.errors.TooManyRequests` when its limit is reached."""

    def __init__(self, rates: Rates, counters: Counters, api_counters: LocalCounters) -> None:
        self.rates = rates
        self._counters = counters
        self._api = api_counters

    async def token_request(self, *, client_id: str | None, address: str | None) -> None:
        """Before a token request's credentials are checked: refused while its client_id or its
        address has failed too often (without counting it, so that waiting is enough), then
        counted against the limit on all attempts."""
        rates = self.rates
        failures = (
            ("client", client_id, rates.token_failures_per_client),
            ("address", address, rates.token_failures_per_address),
        )
        for scope, identity, rate in failures:
            if identity and rate:
                verdict = await self._counters.peek(key_for(f"token-fail-{scope}", identity), rate)
                _refuse(verdict, "Too many failed client authentications")
        if rates.token_requests:
            for scope, identity in (("client", client_id), ("address", address)):
                if identity:
                    key = key_for(f"token-{scope}", identity)
                    verdict = await self._counters.hit(key, rates.token_requests)
                    _refuse(verdict, "Too many token requests")

    async def token_failed(self, *, client_id: str | None, address: str | None) -> None:
        """A token request's client authentication failed."""
        rates = self.rates
        failures = (
            ("client", client_id, rates.token_failures_per_client),
            ("address", address, rates.token_failures_per_address),
        )
        for scope, identity, rate in failures:
            if identity and rate:
                await self._counters.record(key_for(f"token-fail-{scope}", identity), rate)

    def api_request(self, client_id: str) -> None:
        """Any request with a bearer token, counted against its client; never awaits."""
        if self.rates.api:
            _refuse(
                self._api.take(key_for("api", client_id), self.rates.api),
                "Too many requests for this client",
            )

    async def chat_message(self, sender: str) -> None:
        """A chat message by ``sender`` (``user:<id>`` or ``shopper:<id>``)."""
        if self.rates.chat:
            verdict = await self._counters.hit(key_for("chat", sender), self.rates.chat)
            _refuse(verdict, "Too many chat messages")


#: Connections of the limits' own pool on PostgreSQL (each check holds one for one statement).
POOL_SIZE = 2
POOL_OVERFLOW = 3


@contextlib.asynccontextmanager
async def started(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Limits]:
    """The limits of an application on ``engine``: in memory on SQLite, shared on PostgreSQL
    (with the loops that sync and prune the shared counts while in the block).

    On PostgreSQL the counts go through a small pool of their own: a request checks a limit
    while it holds a connection of the application's pool, and a check that waited for another
    one from that same pool could wait forever once every connection is held that way."""
    rates = Rates.of(settings)
    if engine.dialect.name != "postgresql":
        memory = MemoryCounters()
        yield Limits(rates, memory, memory)
        return
    own = create_engine(
        settings.database_url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        isolation_level="AUTOCOMMIT",
    )
    try:
        table = TableCounters(own)
        synced = SyncedCounters(own, sync_seconds=settings.rate_limit_sync_seconds)
        async with table.running(), synced.running():
            yield Limits(rates, table, synced)
    finally:
        await own.dispose()
