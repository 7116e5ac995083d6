"""The worker loop and its claims: schedule, leases, concurrency, and many claimers at once."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.types import utcnow
from aftercart.events.webhooks import queue, rules, worker
from aftercart.events.webhooks.clients import ConnectionPool
from aftercart.events.webhooks.sender import Sender
from tests.conftest import requires_postgres
from tests.webhooks.helpers import (
    Clock,
    Receiver,
    Sessions,
    attempts,
    deliveries,
    delivery,
    record_events,
    sender_for,
    subscribe,
)

LEASE = timedelta(seconds=60)
Run = Callable[..., Awaitable[None]]


async def _wait_until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.05)


@asynccontextmanager
async def _running(
    sessions: Sessions, settings: Settings, sender: Sender, run: Run = worker.run
) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run(sessions, settings, stop, sender=sender))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _claim(sessions: Sessions, now: Clock | None = None, limit: int = 100) -> list[int]:
    at = now() if now else utcnow()
    async with sessions() as session:
        claimed = await queue.claim(session, limit=limit, now=at, lease_until=at + LEASE)
        await session.commit()
    return [job.delivery_id for job in claimed.jobs]


async def test_the_retry_schedule_through_claims_with_a_controllable_clock(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 1)
    [owed] = await deliveries(sessions)
    clock = Clock(owed.created_at)
    sender = sender_for(Receiver(status=503), clock)
    tried_at = []
    while True:
        async with sessions() as session:
            claimed = await queue.claim(session, limit=10, now=clock(), lease_until=clock() + LEASE)
            jobs = claimed.jobs
            await session.commit()
        assert [job.delivery_id for job in jobs] == [owed.id]
        result = await sender.deliver(jobs[0])
        tried_at.append(clock() - owed.created_at)
        async with sessions() as session:
            await queue.record(session, [result], now=clock(), rand=lambda: 1)
            await session.commit()
        row = await delivery(sessions, owed.id)
        if row.status == rules.FAILED:
            break
        clock.now = row.next_attempt_at - timedelta(milliseconds=1)
        assert await _claim(sessions, clock) == [], "not due before its time"
        clock.now = row.next_attempt_at

    hours = [round(t.total_seconds() / 3600, 2) for t in tried_at]
    assert tried_at[:4] == [timedelta(0), *[timedelta(seconds=s) for s in (5, 35, 155)]]
    assert hours[-3:] == [63.71, 71.71, 72.0]
    assert len(tried_at) == row.attempts == 18
    assert len(await attempts(sessions, owed.id)) == 18


async def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 1)
    clock = Clock((await deliveries(sessions))[0].created_at)
    first = await _claim(sessions, clock)
    assert len(first) == 1
    assert await _claim(sessions, clock) == []
    clock.advance(LEASE + timedelta(seconds=1))
    assert await _claim(sessions, clock) == first, "a crashed worker's claim is taken again"


async def test_a_late_finisher_does_not_overwrite_a_newer_claim(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 1)
    clock = Clock((await deliveries(sessions))[0].created_at)
    async with sessions() as session:
        claimed = await queue.claim(session, limit=1, now=clock(), lease_until=clock() + LEASE)
        [stale] = claimed.jobs
        await session.commit()
    clock.advance(LEASE * 2)
    await _claim(sessions, clock)
    result = await sender_for(Receiver(status=200)).deliver(stale)
    async with sessions() as session:
        await queue.record(session, [result], now=clock(), rand=lambda: 1)
        await session.commit()

    row = await delivery(sessions, stale.delivery_id)
    assert row.status == rules.PENDING
    assert row.locked_until is not None
    assert len(await attempts(sessions, stale.delivery_id)) == 1, "the attempt itself is kept"


async def test_the_worker_delivers_everything_due(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await subscribe(sessions, creds.client_id, url="https://second.example/hook")
    await record_events(sessions, 40)
    receiver = Receiver()

    async def all_done() -> bool:
        return all(d.status == rules.SUCCEEDED for d in await deliveries(sessions))

    async with _running(sessions, settings, sender_for(receiver)):
        await _wait_until(all_done)

    assert len(receiver.calls) == 80
    assert len({c.headers["webhook-id"] for c in receiver.calls}) == 80


async def test_a_stuck_receiver_does_not_delay_the_others(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    stuck = await subscribe(sessions, creds.client_id, url="https://stuck.example/hook")
    healthy = await subscribe(sessions, creds.client_id, url="https://healthy.example/hook")
    await record_events(sessions, 10)
    release = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "stuck.example":
            await release.wait()
        return httpx.Response(200)

    sender = Sender(ConnectionPool(httpx.MockTransport(handle)))
    small = settings.model_copy(update={"webhook_concurrency": 8})

    async def healthy_done() -> bool:
        rows = [d for d in await deliveries(sessions) if d.subscription_id == healthy.id]
        return all(d.status == rules.SUCCEEDED for d in rows)

    async with _running(sessions, small, sender):
        await _wait_until(healthy_done)
        waiting = [d for d in await deliveries(sessions) if d.subscription_id == stuck.id]
        assert all(d.status == rules.PENDING for d in waiting)
        assert sum(d.locked_until is not None for d in waiting) == 2, "a quarter of 8 in flight"
        release.set()

        async def stuck_done() -> bool:
            rows = [d for d in await deliveries(sessions) if d.subscription_id == stuck.id]
            return all(d.status == rules.SUCCEEDED for d in rows)

        await _wait_until(stuck_done)


async def test_wake_starts_a_claim_before_the_next_poll(
    sessions: Sessions,
    settings: Settings,
    creds: IssuedCredentials,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "POLL_SECONDS", 600)
    await subscribe(sessions, creds.client_id)
    receiver = Receiver()
    wakeup = asyncio.Event()
    stop = asyncio.Event()
    task = asyncio.create_task(
        worker.run(sessions, settings, stop, sender=sender_for(receiver), wakeup=wakeup)
    )
    try:
        await asyncio.sleep(0.2)
        await record_events(sessions, 1)
        wakeup.set()

        async def delivered() -> bool:
            return len(receiver.calls) == 1

        await _wait_until(delivered, seconds=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@requires_postgres
async def test_a_standalone_worker_is_woken_by_events_committed_elsewhere(
    sessions: Sessions,
    settings: Settings,
    creds: IssuedCredentials,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``aftercart worker`` beside the API servers: a NOTIFY, not its poll, brings new events."""
    monkeypatch.setattr(worker, "POLL_SECONDS", 600)
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 1)
    receiver = Receiver()
    engine = create_engine(settings.database_url)
    try:
        own_sessions = session_factory(engine)
        async with _running(own_sessions, settings, sender_for(receiver), worker.run_listening):

            async def first_recorded() -> bool:
                return [d.status for d in await deliveries(sessions)] == [rules.SUCCEEDED]

            # Recorded in the turn that also claimed: from now on only a wake-up claims.
            await _wait_until(first_recorded, seconds=10)
            async with asyncio.timeout(10):
                while len(receiver.calls) < 2:
                    # Again until one arrives, in case the LISTEN connection was not up yet.
                    await record_events(sessions, 1)
                    await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


@requires_postgres
async def test_concurrent_claimers_never_take_the_same_delivery(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 60)
    now = utcnow()

    async with sessions() as holder, sessions() as other:
        held = await queue.claim(holder, limit=20, now=now, lease_until=now + LEASE)
        # The holder's transaction is still open: its rows are locked, not yet leased.
        async with asyncio.timeout(10):
            skipped = await queue.claim(other, limit=20, now=now, lease_until=now + LEASE)
        await other.commit()
        await holder.commit()
    assert len(held.jobs) == len(skipped.jobs) == 20
    assert not {j.delivery_id for j in held.jobs} & {j.delivery_id for j in skipped.jobs}

    claims = await asyncio.gather(*(_claim(sessions, limit=3) for _ in range(10)))
    taken = [i for claim in claims for i in claim]
    assert len(taken) == len(set(taken)) == 20
