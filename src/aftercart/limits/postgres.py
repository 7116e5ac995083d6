"""Counts shared by every process on one PostgreSQL database, in ``rate_limit_counters``.

:class:`TableCounters` is exact: one statement per check, an atomic upsert-increment of the
(key, window) row, for the token endpoints and chat, which write to the database anyway.
:class:`SyncedCounters` keeps the per-client API limit off the request path: each process
decides in memory and, every ``sync_seconds``, adds what it counted to the table and reads back
the totals of every process.

Both run their statements in autocommit, on connections that no request holds (see
:func:`aftercart.limits.service.started`), so a count is kept even when the request that made
it is rolled back (a failed authentication answers 401).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Float, Integer, bindparam, delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from aftercart import tasks
from aftercart.limits.memory import Clock
from aftercart.limits.rules import (
    Rate,
    Verdict,
    expires_at,
    judge,
    window_at,
    window_start,
)
from aftercart.models.rate_limit import RateLimitCounter

log = logging.getLogger(__name__)

#: Counts ``cost`` hits into the current window only if the weighted total stays within the
#: amount; the check on conflict sees the row as locked, so concurrent hits never overshoot.
_HIT = text(
    """
    WITH previous AS (
        SELECT coalesce(max(hits), 0) AS hits FROM rate_limit_counters
        WHERE key = :key AND window_start = :previous_start
    ), current_ AS (
        SELECT coalesce(max(hits), 0) AS hits FROM rate_limit_counters
        WHERE key = :key AND window_start = :start
    ), bumped AS (
        INSERT INTO rate_limit_counters AS c (key, window_start, hits, expires_at)
        SELECT :key, :start, :cost, :expires FROM previous
        WHERE previous.hits * :weight + :cost <= :amount
        ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + excluded.hits
        WHERE c.hits + excluded.hits + (SELECT hits FROM previous) * :weight <= :amount
        RETURNING c.hits
    )
    SELECT (SELECT hits FROM previous), (SELECT hits FROM current_), (SELECT hits FROM bumped)
    """
).bindparams(
    bindparam("weight", type_=Float()),
    bindparam("cost", type_=Integer()),
    bindparam("amount", type_=Integer()),
)

#: How often each process deletes the counts of windows that no longer matter.
PRUNE_SECONDS = 60.0


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    """Each statement commits on its own (a no-op on an engine made in autocommit)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class TableCounters:
    """Exact shared counts: each call is one statement on the database."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = time.time) -> None:
        self._engine = _autocommit(engine)
        self._clock = clock

    async def hit(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict:
        now = self._clock()
        window = window_at(rate, now)
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    _HIT,
                    {
                        "key": key,
                        "start": window_start(rate, window.index),
                        "previous_start": window_start(rate, window.index - 1),
                        "expires": expires_at(rate, window.index),
                        "weight": 1 - window.elapsed,
                        "cost": cost,
                        "amount": rate.amount,
                    },
                )
            ).one()
        previous, current, counted = row
        if counted is not None:
            return Verdict(True)
        # Refused: judged again on what the statement saw, for the time to wait.
        verdict = judge(rate, now, previous=previous, current=current, cost=cost)
        return verdict if not verdict.allowed else Verdict(False, 1)

    async def record(self, key: str, rate: Rate, *, cost: int = 1) -> None:
        window = window_at(rate, self._clock()).index
        statement = insert(RateLimitCounter).values(
            key=key,
            window_start=window_start(rate, window),
            hits=cost,
            expires_at=expires_at(rate, window),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
            set_={"hits": RateLimitCounter.hits + statement.excluded.hits},
        )
        async with self._engine.connect() as connection:
            await connection.execute(statement)

    async def peek(self, key: str, rate: Rate) -> Verdict:
        now = self._clock()
        index = window_at(rate, now).index
        starts = {window_start(rate, index - 1): "previous", window_start(rate, index): "current"}
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(RateLimitCounter.window_start, RateLimitCounter.hits).where(
                    RateLimitCounter.key == key, RateLimitCounter.window_start.in_(list(starts))
                )
            )
            counts = {starts[start]: hits for start, hits in rows}
        return judge(
            rate, now, previous=counts.get("previous", 0), current=counts.get("current", 0)
        )

    async def prune(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(
                delete(RateLimitCounter).where(RateLimitCounter.expires_at <= self._clock())
            )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Prunes the table now and then while in the block."""
        async with tasks.running(self._prune_forever(), name="rate-limit-prune"):
            yield

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_SECONDS)
            try:
                await self.prune()
            except Exception:
                log.warning("pruning rate-limit counters failed; retrying later", exc_info=True)


@dataclass
class _Entry:
    """One (key, window) as this process knows it: the total of every process at the last
    sync, and what this process counted since."""

    start: int
    expires: int
    shared: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.shared + self.pending


class SyncedCounters:
    """Decides in memory, shares through the table every ``sync_seconds``.

    Approximate on purpose: between two syncs a process does not see what the others counted,
    so all of them together may let through up to what each accepted since its last sync
    beyond the rate (at most one sync interval of traffic per process), and a process that has
    not served a key for a while starts from the totals of its last sync.
    """

    def __init__(
        self, engine: AsyncEngine, *, sync_seconds: float, clock: Clock = time.time
    ) -> None:
        self._engine = _autocommit(engine)
        self._sync_seconds = sync_seconds
        self._clock = clock
        self._entries: dict[tuple[str, int], _Entry] = {}

    def take(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict:
        now = self._clock()
        index = window_at(rate, now).index
        previous = self._entries.get((key, index - 1))
        current = self._entries.get((key, index))
        verdict = judge(
            rate,
            now,
            previous=previous.total if previous else 0,
            current=current.total if current else 0,
            cost=cost,
        )
        if verdict.allowed:
            if current is None:
                current = self._entries[(key, index)] = _Entry(
                    window_start(rate, index), expires_at(rate, index)
                )
                if previous is None:  # so that the next sync reads the other processes' count
                    self._entries[(key, index - 1)] = _Entry(
                        window_start(rate, index - 1), expires_at(rate, index - 1)
                    )
            current.pending += cost
        return verdict

    async def sync(self) -> None:
        """Adds this process's counts to the table and reads back every process's totals for
        the windows it knows; on failure the counts are kept for the next try."""
        now = self._clock()
        for window, entry in list(self._entries.items()):
            if entry.expires <= now:
                del self._entries[window]
        by_row = {(key, entry.start): entry for (key, _index), entry in self._entries.items()}
        sending = {row: entry.pending for row, entry in by_row.items() if entry.pending}
        reading = [row for row, entry in by_row.items() if not entry.pending]
        if not by_row:
            return
        async with self._engine.connect() as connection:
            if sending:
                rows = [
                    {"key": k, "window_start": s, "hits": n, "expires_at": by_row[(k, s)].expires}
                    for (k, s), n in sorted(sending.items())  # one lock order in every process
                ]
                adding = insert(RateLimitCounter).values(rows)
                upsert = adding.on_conflict_do_update(
                    index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
                    set_={"hits": RateLimitCounter.hits + adding.excluded.hits},
                ).returning(
                    RateLimitCounter.key, RateLimitCounter.window_start, RateLimitCounter.hits
                )
                totals = list(await connection.execute(upsert))
                for key, start, hits in totals:
                    entry = by_row[(key, start)]
                    entry.shared = hits
                    entry.pending -= sending[(key, start)]
            if reading:
                found = await connection.execute(
                    select(
                        RateLimitCounter.key, RateLimitCounter.window_start, RateLimitCounter.hits
                    ).where(
                        tuple_(RateLimitCounter.key, RateLimitCounter.window_start).in_(reading)
                    )
                )
                for key, start, hits in found:
                    by_row[(key, start)].shared = hits

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Syncs every ``sync_seconds`` while in the block, and once more on the way out."""
        try:
            async with tasks.running(self._sync_forever(), name="rate-limit-sync"):
                yield
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sync(), timeout=5)

    async def _sync_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sync_seconds)
            try:
                await self.sync()
            except Exception:
                log.warning("sharing API rate-limit counts failed; retrying", exc_info=True)
