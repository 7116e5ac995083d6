"""The queue in batches: a claim that looks past full subscriptions, and outcomes written for a
whole turn at once, but only where the lease is still the claimer's."""

import gc
from datetime import timedelta

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.events.webhooks import queue, rules, worker
from aftercart.events.webhooks.sender import Job, Result
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


async def _claim_all(sessions: Sessions, clock: Clock) -> list[Job]:
    async with sessions() as session:
        claimed = await queue.claim(session, limit=100, now=clock(), lease_until=clock() + LEASE)
        await session.commit()
    return claimed.jobs


async def _record(sessions: Sessions, results: list[Result], clock: Clock, rand: float) -> None:
    async with sessions() as session:
        await queue.record(session, results, now=clock(), rand=lambda: rand)
        await session.commit()


@pytest.mark.parametrize("count", [queue.SHARED_OUTCOME_MIN - 1, queue.SHARED_OUTCOME_MIN + 2])
async def test_a_batch_of_outcomes_skips_the_delivery_whose_lease_was_taken(
    sessions: Sessions, creds: IssuedCredentials, count: int
) -> None:
    """Below ``SHARED_OUTCOME_MIN`` the outcomes go row by row, from it in one statement."""
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, count)
    clock = Clock((await deliveries(sessions))[-1].created_at)
    jobs = await _claim_all(sessions, clock)
    sender = sender_for(Receiver(status=200))
    results = [await sender.deliver(job) for job in jobs]
    taken = jobs[1].delivery_id
    retaken_until = clock() + 2 * LEASE
    async with sessions() as other:
        await queue.lease(other, [taken], lease_until=retaken_until)
        await other.commit()

    await _record(sessions, results, clock, rand=1)

    for row in await deliveries(sessions):
        assert len(await attempts(sessions, row.id)) == 1, "every POST is kept"
        if row.id == taken:
            assert (row.status, row.attempts, row.locked_until) == (
                rules.PENDING,
                0,
                retaken_until,
            )
        else:
            assert (row.status, row.attempts, row.locked_until) == (rules.SUCCEEDED, 1, None)


async def test_one_record_writes_each_kind_of_outcome(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    """Shared outcomes (the successes) and single ones (retries, a refusal) in one turn."""
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, queue.SHARED_OUTCOME_MIN + 3)
    clock = Clock((await deliveries(sessions))[-1].created_at)
    jobs = await _claim_all(sessions, clock)
    retried, refused = {jobs[0].delivery_id, jobs[1].delivery_id}, jobs[2].delivery_id

    def answer(request: httpx.Request) -> httpx.Response:
        delivery_id = int(request.headers["webhook-id"].removeprefix("msg_"))
        if delivery_id in retried:
            return httpx.Response(503)
        return httpx.Response(400 if delivery_id == refused else 200)

    sender = sender_for(Receiver(answer=answer))
    results = [await sender.deliver(job) for job in jobs]
    clock.advance(timedelta(seconds=2))

    await _record(sessions, results, clock, rand=0.5)

    for job in jobs:
        row = await delivery(sessions, job.delivery_id)
        assert row.attempts == 1
        assert row.locked_until is None
        if job.delivery_id in retried:
            assert row.status == rules.PENDING
            assert row.next_attempt_at == clock() + rules.RETRY_STEPS[0] * 0.5
            assert row.last_error == "HTTP 503"
        elif job.delivery_id == refused:
            assert (row.status, row.last_error) == (rules.FAILED, "HTTP 400")
        else:
            assert (row.status, row.last_error) == (rules.SUCCEEDED, None)


async def test_a_claim_looks_past_a_full_subscriptions_backlog(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    busy = await subscribe(sessions, creds.client_id)
    await record_events(sessions, 10)
    other = await subscribe(sessions, creds.client_id, url="https://other.example/hook")
    await record_events(sessions, 3)
    clock = Clock((await deliveries(sessions))[-1].created_at)

    async with sessions() as session:
        claimed = await queue.claim(
            session,
            limit=5,
            now=clock(),
            lease_until=clock() + LEASE,
            room=lambda subscription_id: 2 if subscription_id == busy.id else 10,
        )
        await session.commit()

    by_subscription = [job.subscription_id for job in claimed.jobs]
    assert sorted(by_subscription) == [busy.id] * 2 + [other.id] * 3
    leased = [d.id for d in await deliveries(sessions) if d.locked_until is not None]
    assert sorted(leased) == sorted(job.delivery_id for job in claimed.jobs)


async def test_a_claim_stops_when_every_active_subscription_is_full(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 10)
    clock = Clock((await deliveries(sessions))[-1].created_at)

    async with sessions() as session:
        claimed = await queue.claim(
            session, limit=5, now=clock(), lease_until=clock() + LEASE, room=lambda _: 2
        )
        await session.commit()

    assert len(claimed.jobs) == 2
    assert not claimed.more, "claiming again at once would find no room"


async def test_a_claim_that_reaches_its_limit_says_there_may_be_more(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await record_events(sessions, 4)
    clock = Clock((await deliveries(sessions))[-1].created_at)

    async with sessions() as session:
        first = await queue.claim(session, limit=3, now=clock(), lease_until=clock() + LEASE)
        rest = await queue.claim(session, limit=3, now=clock(), lease_until=clock() + LEASE)
        await session.commit()

    assert (len(first.jobs), first.more) == (3, True)
    assert (len(rest.jobs), rest.more) == (1, False)


def test_freezing_the_startup_heap_keeps_collecting_what_comes_after() -> None:
    try:
        worker.freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
