"""Sandbox faults on webhook deliveries, as a receiver meets them (``docs/sandbox.md``,
"Faults"): ``slow`` sends a delivery late, ``duplicate`` sends the same message twice (same
``webhook-id``, as a retry would), ``reorder`` holds a delivery back until a later delivery of
the subscription has gone (or at most its ``ms``).

The worker asks :meth:`DeliveryFaults.plan` inside the transaction that claims deliveries, so the
draws are counted with the claim in one short write, and sends each job through
:meth:`DeliveryFaults.deliver`. A redelivery by hand (``worker.send``) is never faulted.
"""

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.events.webhooks.sender import Job, Result, Sender
from aftercart.models import SandboxFault, WebhookSubscription
from aftercart.sandbox import faults
from aftercart.sandbox.fault_rules import (
    DeliveryFault,
    Draw,
    Rule,
    Target,
    delivery_fault,
    draw,
    matches_delivery,
)


class DeliveryFaults:
    def __init__(self) -> None:
        self._planned: dict[int, DeliveryFault] = {}
        #: Per subscription, set when its next delivery has been sent (what a hold waits for).
        self._next_sent: dict[int, asyncio.Event] = {}

    async def plan(self, session: AsyncSession, jobs: Sequence[Job]) -> None:
        """Draws the webhook rules of each job's client that match its event, in job order."""
        rules = await _rules_by_subscription(session, {job.subscription_id for job in jobs})
        if not rules:
            return
        matched: list[tuple[Job, list[tuple[int, Rule]]]] = []
        times: Counter[int] = Counter()
        for job in jobs:
            name = _event_name(job)
            fitting = [(i, r) for i, r in rules[job.subscription_id] if matches_delivery(r, name)]
            if fitting:
                matched.append((job, fitting))
                times.update(i for i, _ in fitting)
        first = await faults.consult(session, times)
        drawn_so_far: Counter[int] = Counter()
        for job, fitting in matched:
            draws: list[tuple[Rule, Draw]] = []
            for fault_id, rule in fitting:
                if fault_id in first:
                    draws.append((rule, draw(rule, first[fault_id] + drawn_so_far[fault_id])))
                    drawn_so_far[fault_id] += 1
            if fault := delivery_fault(draws):
                self._planned[job.delivery_id] = fault

    async def deliver(self, sender: Sender, job: Job) -> Result:
        fault = self._planned.pop(job.delivery_id, DeliveryFault())
        if fault.hold_ms:
            await self._overtaken(job.subscription_id, fault.hold_ms / 1000)
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        result = await sender.deliver(job)
        if fault.duplicate:
            again = await sender.deliver(job)
            result = Result(job, result.attempts + again.attempts)
        sent = self._next_sent.pop(job.subscription_id, None)
        if sent is not None:
            sent.set()
        return result

    async def _overtaken(self, subscription_id: int, seconds: float) -> None:
        """Waits until another delivery of the subscription has been sent, or ``seconds``."""
        sent = self._next_sent.setdefault(subscription_id, asyncio.Event())
        try:
            async with asyncio.timeout(seconds):
                await sent.wait()
        except TimeoutError:
            pass


async def _rules_by_subscription(
    session: AsyncSession, subscription_ids: set[int]
) -> defaultdict[int, list[tuple[int, Rule]]]:
    found = await session.execute(
        select(WebhookSubscription.id, SandboxFault)
        .join(SandboxFault, SandboxFault.client_id == WebhookSubscription.client_id)
        .where(WebhookSubscription.id.in_(subscription_ids), SandboxFault.target == Target.WEBHOOK)
        .order_by(SandboxFault.id)
    )
    rules: defaultdict[int, list[tuple[int, Rule]]] = defaultdict(list)
    for subscription_id, row in found:
        rules[subscription_id].append((row.id, faults.rule_of(row)))
    return rules


def _event_name(job: Job) -> str:
    name = json.loads(job.body).get("event_name", "")
    return name if isinstance(name, str) else ""
