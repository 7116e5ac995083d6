"""The delivery worker: claims due deliveries, sends each in its own task, records outcomes.

Sends run concurrently (``webhook_concurrency`` at once, a quarter of that per subscription, so a
slow or dead receiver holds a bounded share and never delays the others). A delivery's slot is
freed once its outcome is written. :func:`send` is the same path for one delivery, by hand.
"""

import asyncio
import contextlib
import gc
import logging
import random
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from aftercart.db.types import utcnow
from aftercart.errors import NotFound
from aftercart.events.stream import channel
from aftercart.events.webhooks import queue, retention
from aftercart.events.webhooks.rules import Random, Verdict, verdict
from aftercart.events.webhooks.sender import Attempt, Job, Result, Sender
from aftercart.observability import logs, metrics, standalone
from aftercart.sandbox.webhook_faults import DeliveryFaults

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
Clock = Callable[[], datetime]

POLL_SECONDS = 0.5
LINGER_SECONDS = 0.01
CLAIM_BATCH = 200
STOP_GRACE_SECONDS = 5.0


async def send(
    sessions: Sessions,
    delivery_id: int,
    *,
    sender: Sender | None = None,
    clock: Clock = utcnow,
    rand: Random = random.random,
    lease: timedelta = timedelta(seconds=60),
) -> Result:
    """Sends one delivery now, whatever its schedule, and records the outcome."""
    async with sessions() as session:
        lease_until = clock() + lease
        await queue.lease(session, [delivery_id], lease_until=lease_until)
        jobs = await queue.load_jobs(session, [delivery_id], lease_until=lease_until)
        await session.commit()
    if not jobs:
        raise NotFound("Webhook delivery not found.")
    began = time.perf_counter()
    if sender is None:
        own = Sender(clock=clock)
        try:
            result = await own.deliver(jobs[0])
        finally:
            await own.aclose()
    else:
        result = await sender.deliver(jobs[0])
    observe(result, time.perf_counter() - began)
    async with sessions() as session:
        await queue.record(session, [result], now=clock(), rand=rand)
        await session.commit()
    return result


async def run(
    sessions: Sessions,
    settings: Settings,
    stop: asyncio.Event,
    *,
    sender: Sender | None = None,
    clock: Clock = utcnow,
    rand: Random = random.random,
    wakeup: asyncio.Event | None = None,
) -> None:
    """Delivers until ``stop`` is set (``aftercart serve`` and ``aftercart worker`` run this).

    Setting ``wakeup`` makes the worker look for due deliveries now rather than at its next
    poll (the app sets it after a commit that wrote events, or on a notification)."""
    concurrency = max(1, settings.webhook_concurrency)
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    own: Sender | None = None
    if sender is None:
        sender = own = Sender(clock=clock, public_only=not settings.allow_private_webhooks)
    pruning = asyncio.create_task(retention.keep_pruning(sessions, settings, stop))
    faults = DeliveryFaults() if settings.sandbox_enabled else None
    try:
        worker = Worker(sessions, sender, concurrency, lease, clock, rand, wakeup, faults)
        await worker.run(stop)
    finally:
        pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruning
        if own is not None:
            await own.aclose()


class Worker:
    """One loop owns the database work: each turn records what finished and claims what fits
    in one short transaction; sends run as tasks that only report back and wake the loop.
    Outcomes batch themselves while a turn runs (and during a short linger under load)."""

    def __init__(
        self,
        sessions: Sessions,
        sender: Sender,
        concurrency: int,
        lease: timedelta,
        clock: Clock,
        rand: Random,
        wakeup: asyncio.Event | None = None,
        faults: DeliveryFaults | None = None,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.concurrency = concurrency
        self.per_subscription = max(1, concurrency // 4)
        self.lease = lease
        self.clock = clock
        self.rand = rand
        self._kick = wakeup or asyncio.Event()
        #: The sandbox's webhook faults (slow, duplicate, reorder), when the sandbox is on.
        self.faults = faults
        self._finished: list[Result] = []
        self._tasks: dict[int, asyncio.Task[None]] = {}
        # Slots in use per subscription: sends in flight and outcomes not yet written.
        self._slots: Counter[int] = Counter()

    async def run(self, stop: asyncio.Event) -> None:
        relay = asyncio.create_task(self._relay(stop))
        try:
            while not stop.is_set():
                self._kick.clear()
                if not await self._turn(claim=True):
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(POLL_SECONDS):
                            await self._kick.wait()
                await self._linger()
        finally:
            relay.cancel()
            await self._finish()

    async def _linger(self) -> None:
        """Lets a few more sends finish before a turn while many are in flight, so that one
        transaction records a batch rather than one outcome (costs ~10 ms of slot time)."""
        in_flight = sum(self._slots.values()) - len(self._finished)
        if in_flight > len(self._finished) and len(self._finished) < CLAIM_BATCH // 4:
            await asyncio.sleep(LINGER_SECONDS)

    async def _relay(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._kick.set()

    async def _turn(self, *, claim: bool) -> bool:
        """Records finished sends and claims new ones; True to turn again at once."""
        finished, self._finished = self._finished, []
        done = Counter(result.job.subscription_id for result in finished)
        in_use = self._slots - done
        free = min(self.concurrency - sum(in_use.values()), CLAIM_BATCH) if claim else 0
        now = self.clock()
        try:
            async with self.sessions() as session:
                await queue.record(session, finished, now=now, rand=self.rand)
                claimed = None
                if free > 0:
                    claimed = await queue.claim(
                        session,
                        limit=free,
                        now=now,
                        lease_until=now + self.lease,
                        room=lambda s: self.per_subscription - in_use[s],
                        full=[s for s, n in in_use.items() if n >= self.per_subscription],
                    )
                    if self.faults is not None and claimed.jobs:
                        await self.faults.plan(session, claimed.jobs)
                await session.commit()
        except Exception:
            # Kept for the next turn; should the process die first, leases expire and the
            # deliveries are sent again: late, never lost.
            log.exception("webhook worker: database turn failed; retrying")
            self._finished = finished + self._finished
            await asyncio.sleep(POLL_SECONDS)
            return False
        self._slots = in_use
        for result in finished:
            self._tasks.pop(result.job.delivery_id, None)
        if claimed is None:
            return False
        for job in claimed.jobs:
            self._slots[job.subscription_id] += 1
            self._tasks[job.delivery_id] = asyncio.create_task(self._deliver(job))
        return claimed.more and bool(claimed.jobs) and sum(self._slots.values()) < self.concurrency

    async def _deliver(self, job: Job) -> None:
        # Finish well inside the lease, so no other worker can start the same delivery meanwhile.
        budget = self.lease.total_seconds() * 0.8
        began = time.perf_counter()
        try:
            async with asyncio.timeout(budget):
                if self.faults is None:
                    result = await self.sender.deliver(job)
                else:
                    result = await self.faults.deliver(self.sender, job)
        except TimeoutError:
            result = Result(job, [self._failure(f"gave up after {budget:g} s (lease)")])
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", job.delivery_id)
            result = Result(job, [self._failure(f"internal error: {type(exc).__name__}")])
        observe(result, time.perf_counter() - began)
        self._finished.append(result)
        self._kick.set()

    def _failure(self, error: str) -> Attempt:
        return Attempt(self.clock(), None, 0, None, error)

    async def _finish(self) -> None:
        """Lets sends in flight end (briefly), records them, and leaves the rest to their
        leases."""
        tasks = list(self._tasks.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._finished:
            await self._turn(claim=False)


def observe(result: Result, seconds: float) -> None:
    """Counts a delivery's POSTs, and those without a 2xx, in the metrics."""
    failures = sum(verdict(a.status_code) is not Verdict.SUCCESS for a in result.attempts)
    metrics.observe_delivery(
        result.job.subscription_id,
        seconds=seconds,
        attempts=len(result.attempts),
        failures=failures,
    )


async def run_listening(
    sessions: Sessions, settings: Settings, stop: asyncio.Event, *, sender: Sender | None = None
) -> None:
    """:func:`run`, woken as inside ``aftercart serve`` by every event notification: on
    PostgreSQL those of every process on the database, through the stream broker's LISTEN."""
    wakeup = asyncio.Event()
    async with channel.connected(sessions, settings) as broker:
        broker.add_listener(wakeup.set)
        await run(sessions, settings, stop, sender=sender, wakeup=wakeup)


def freeze_startup_heap() -> None:
    """Takes what startup left alive (modules, mappers, cached statements) out of the garbage
    collector's sight, for a process that now only delivers.

    Sends in flight keep their objects alive across young collections, so full collections come
    every few thousand deliveries, and each walked the whole heap: some 100 ms each, about a
    tenth of the worker's CPU in ``bench/webhook_throughput.py``. Garbage is collected first, so
    that none of it is kept for good."""
    gc.collect()
    gc.freeze()


async def run_alone(settings: Settings, *, metrics_socket: socket.socket | None = None) -> None:
    """``aftercart worker``: its own engine on a migrated database, until SIGINT or SIGTERM;
    with ``metrics_socket``, ``GET /metrics`` served there meanwhile."""
    logs.configure(settings.log_level, settings.log_format)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await upgrade(engine)
        async with standalone.serving(metrics_socket, settings, engine):
            freeze_startup_heap()
            await run_listening(session_factory(engine), settings, stop)
    finally:
        await engine.dispose()
