"""Sandbox faults on webhook deliveries, as the receiver sees them: slow, duplicated and
out-of-order deliveries from the worker."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.tenancy import serve_tenant
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.webhooks import rules, worker
from aftercart.models import SandboxFault
from aftercart.models.tenant import DEFAULT_TENANT
from aftercart.sandbox import fault_rules, faults
from aftercart.sandbox.fault_rules import EffectInput
from tests import factories
from tests.sandbox.helpers import Sessions
from tests.webhooks.helpers import (
    Receiver,
    attempts,
    deliveries,
    record_events,
    sender_for,
    subscribe,
)


async def add_rule(sessions: Sessions, client_id: str, **given: Any) -> SandboxFault:
    values: dict[str, Any] = {
        "target": "webhook",
        "method": None,
        "path": None,
        "event": None,
        "probability": 1.0,
        "seed": 3,
    }
    rule = fault_rules.build_rule(**(values | given))
    async with sessions() as session:
        row = await faults.create_fault(session, client_id=client_id, rule=rule)
        await session.commit()
    return row


async def record(sessions: Sessions, *event_names: str) -> None:
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        for name in event_names:
            await record_event(session, name, metadata={})
        await session.commit()


async def _all_sent(sessions: Sessions) -> bool:
    owed = await deliveries(sessions)
    return bool(owed) and all(d.status != rules.PENDING for d in owed)


@asynccontextmanager
async def delivering(
    sessions: Sessions, settings: Settings, receiver: Receiver
) -> AsyncIterator[None]:
    """The worker runs in the block, and the block ends once every delivery has an outcome."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(sessions, settings, stop, sender=sender_for(receiver)))
    try:
        yield
        await _wait_until(lambda: _all_sent(sessions))
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _wait_until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


def received(receiver: Receiver) -> list[tuple[str, str]]:
    """``(webhook-id, event_name)`` of each request the receiver got, in order."""
    return [
        (call.headers["webhook-id"], json.loads(call.content)["event_name"])
        for call in receiver.calls
    ]


async def test_duplicate_sends_the_same_message_twice(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await add_rule(sessions, creds.client_id, effect=EffectInput("duplicate"))
    receiver = Receiver()
    async with delivering(sessions, settings, receiver):
        await record(sessions, names.PICKING)
    [owed] = await deliveries(sessions)
    assert received(receiver) == [(rules.message_id(owed.id), names.PICKING)] * 2
    assert receiver.calls[0].content == receiver.calls[1].content
    assert len(await attempts(sessions, owed.id)) == 2
    assert owed.status == rules.SUCCEEDED


async def test_slow_sends_late(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await add_rule(sessions, creds.client_id, effect=EffectInput("slow", ms=400))
    await record(sessions, names.PICKING)
    began = time.perf_counter()
    arrived: list[float] = []

    def answer(_request: httpx.Request) -> httpx.Response:
        arrived.append(time.perf_counter() - began)
        return httpx.Response(200)

    async with delivering(sessions, settings, Receiver(answer=answer)):
        pass
    assert len(arrived) == 1
    assert arrived[0] >= 0.4


async def test_reorder_lets_a_later_delivery_go_first(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await add_rule(
        sessions, creds.client_id, event=names.ACKNOWLEDGED, effect=EffectInput("reorder", ms=5000)
    )
    await record(sessions, names.ACKNOWLEDGED, names.PICKING)
    receiver = Receiver()
    began = time.perf_counter()
    async with delivering(sessions, settings, receiver):
        pass
    assert [name for _, name in received(receiver)] == [names.PICKING, names.ACKNOWLEDGED]
    # Released by the later delivery, not by the end of its hold.
    assert time.perf_counter() - began < 4


async def test_rules_apply_to_their_clients_matching_events_only(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    other = await factories.make_api_client(sessions, name="Other retailer")
    mine = await subscribe(sessions, creds.client_id)
    await subscribe(sessions, other.client_id)
    await add_rule(
        sessions, creds.client_id, event="fulfillment.pick*", effect=EffectInput("duplicate")
    )
    async with delivering(sessions, settings, Receiver()):
        await record(sessions, names.ACKNOWLEDGED, names.PICKING)
    tries = {
        (d.subscription_id == mine.id, d.event_id): len(await attempts(sessions, d.id))
        for d in await deliveries(sessions)
    }
    acknowledged, picking = sorted({event_id for _, event_id in tries})
    assert tries == {
        (True, acknowledged): 1,
        (True, picking): 2,
        (False, acknowledged): 1,
        (False, picking): 1,
    }


async def test_a_seed_decides_which_deliveries_are_duplicated(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    row = await add_rule(
        sessions, creds.client_id, probability=0.5, seed=11, effect=EffectInput("duplicate")
    )
    await record_events(sessions, 8)
    receiver = Receiver()
    async with delivering(sessions, settings, receiver):
        pass
    owed = await deliveries(sessions)
    tries = [len(await attempts(sessions, d.id)) for d in owed]
    rule = faults.rule_of(row)
    assert tries == [2 if fault_rules.draw(rule, n).fired else 1 for n in range(8)]
    assert 1 in tries
    assert 2 in tries
    async with sessions() as session:
        stored = await session.get(SandboxFault, row.id)
        assert stored is not None
        assert stored.consulted == 8


async def test_no_faults_outside_the_sandbox(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    await subscribe(sessions, creds.client_id)
    await add_rule(sessions, creds.client_id, effect=EffectInput("duplicate"))
    receiver = Receiver()
    async with delivering(sessions, settings.model_copy(update={"sandbox": False}), receiver):
        await record(sessions, names.PICKING)
    assert len(receiver.calls) == 1
