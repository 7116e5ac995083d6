"""Counts kept in this process's memory: every limit on SQLite (one process), and the local
half of the per-client API limit on PostgreSQL (see :mod:`aftercart.limits.postgres`)."""

import time
from collections.abc import Callable

from aftercart.limits.rules import ALLOWED, Rate, Verdict, expires_at, judge, window_at

Clock = Callable[[], float]

#: How often counts of windows that no longer matter are swept away.
SWEEP_SECONDS = 60.0


class MemoryCounters:
    """Hits per (key, window). Each call is a few dict operations and never awaits, so a check
    of a concurrent request cannot slip in between the count and the verdict."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        #: (key, window index) -> [hits, expiry in epoch seconds]
        self._hits: dict[tuple[str, int], list[int]] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    def counts(self, key: str, rate: Rate, now: float) -> tuple[int, int]:
        """The hits of the previous and of the current window."""
        index = window_at(rate, now).index
        previous = self._hits.get((key, index - 1))
        current = self._hits.get((key, index))
        return (previous[0] if previous else 0, current[0] if current else 0)

    def take(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict:
        """Counts ``cost`` hits if they fit; a refused request is not counted, so a client that
        keeps its pace under the rate always gets through."""
        now = self._clock()
        previous, current = self.counts(key, rate, now)
        verdict = judge(rate, now, previous=previous, current=current, cost=cost)
        if verdict.allowed:
            self._add(key, rate, now, cost)
        return verdict

    def add(self, key: str, rate: Rate, *, cost: int = 1) -> None:
        """Counts ``cost`` hits whatever the verdict (failed attempts)."""
        self._add(key, rate, self._clock(), cost)

    def check(self, key: str, rate: Rate) -> Verdict:
        """Whether one more hit would fit, counting nothing."""
        now = self._clock()
        previous, current = self.counts(key, rate, now)
        return judge(rate, now, previous=previous, current=current)

    def _add(self, key: str, rate: Rate, now: float, cost: int) -> None:
        index = window_at(rate, now).index
        entry = self._hits.get((key, index))
        if entry is None:
            self._hits[(key, index)] = [cost, expires_at(rate, index)]
        else:
            entry[0] += cost
        if now >= self._next_sweep:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        for window, (_hits, expiry) in list(self._hits.items()):
            if expiry <= now:
                del self._hits[window]

    def __len__(self) -> int:
        return len(self._hits)

    # The interface of the shared counters (:class:`~aftercart.limits.postgres.TableCounters`).

    async def hit(self, key: str, rate: Rate, *, cost: int = 1) -> Verdict:
        return self.take(key, rate, cost=cost)

    async def record(self, key: str, rate: Rate, *, cost: int = 1) -> None:
        self.add(key, rate, cost=cost)

    async def peek(self, key: str, rate: Rate) -> Verdict:
        return self.check(key, rate)


__all__ = ["ALLOWED", "Clock", "MemoryCounters"]
