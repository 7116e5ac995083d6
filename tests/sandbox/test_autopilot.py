"""Autopilot shoppers played by the clock: each step fired at an explicit time, as a frozen
clock's advance fires them (no sleeping on the wall clock)."""

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from aftercart import clock
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.models import (
    Autopilot,
    AutopilotRun,
    Batch,
    ChatMessage,
    Event,
    Order,
    OrderItem,
    Product,
    SandboxClock,
    ShopperLocation,
    Store,
)
from aftercart.models.tenant import DEFAULT_TENANT
from aftercart.post_checkout import service as post_checkout
from aftercart.sandbox import autopilot_rules as rules
from aftercart.sandbox import autopilot_service
from aftercart.sandbox.autopilot import AutopilotSteps, play_due
from aftercart.sandbox.autopilot_schemas import AutopilotCreate
from aftercart.sandbox.autopilot_steps import mix_of
from aftercart.sandbox.timed import Due
from tests import factories
from tests.sandbox.helpers import Sessions, event_names, load_order

pytestmark = pytest.mark.usefixtures("app")

#: A whole second, so that every dialect stores it exactly.
T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)
STEP = 10
TRIP = 40.0
EFFECT = AutopilotSteps(trip_seconds=TRIP)


@dataclass
class Shop:
    store_code: str
    products: list[Product]


async def arrange_shop(sessions: Sessions, products: int = 6) -> Shop:
    async with sessions() as session:
        store = await factories.insert_store(session)
        made = [await factories.insert_product(session) for _ in range(products)]
        await session.commit()
        return Shop(store.location_code, made)


async def place(
    sessions: Sessions,
    shop: Shop,
    order_id: str,
    *,
    at: datetime,
    lines: int = 3,
    tenant_id: int = DEFAULT_TENANT,
    user_id: str | None = None,
) -> Order:
    async with sessions() as session:
        user = await factories.insert_user(
            session, tenant_id=tenant_id, **({"user_id": user_id} if user_id else {})
        )
        store = await session.get(Store, shop.store_code)
        assert store is not None
        order = await factories.insert_order(
            session,
            user=user,
            store=store,
            products=shop.products[:lines],
            order_id=order_id,
            created_at=at,
        )
        await session.commit()
        return order


async def turn_on(
    sessions: Sessions, *, at: datetime = T0, tenant_id: int = DEFAULT_TENANT, **fields: object
) -> Autopilot:
    body = {"step_seconds": STEP, "decision_timeout_seconds": 60, **fields}
    async with sessions() as session:
        serve_tenant(session, tenant_id)
        with clock.running_at(at):
            autopilot = await autopilot_service.turn_on(
                session, AutopilotCreate.model_validate(body)
            )
            await session.commit()
    return autopilot


async def next_due(
    sessions: Sessions, until: datetime, tenant_id: int = DEFAULT_TENANT
) -> Due | None:
    async with sessions() as session:
        serve_tenant(session, tenant_id)
        return await EFFECT.next_due(session, tenant_id, after=T0, until=until)


async def advance(
    sessions: Sessions, until: datetime, tenant_id: int = DEFAULT_TENANT, limit: int = 500
) -> list[Due]:
    """Fires every step due by ``until``, earliest first, as the clock's advance does."""
    fired: list[Due] = []
    for _ in range(limit):
        due = await next_due(sessions, until, tenant_id)
        if due is None:
            return fired
        assert due.at <= until
        assert await EFFECT.fire(sessions, tenant_id, due), due
        fired.append(due)
    raise AssertionError("the steps never ended")


async def run_of(sessions: Sessions, order_pk: int) -> AutopilotRun:
    async with sessions() as session:
        run = await session.scalar(select(AutopilotRun).where(AutopilotRun.order_pk == order_pk))
        assert run is not None
        return run


async def messages(sessions: Sessions, order_pk: int) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ChatMessage.sender, ChatMessage.body)
            .where(ChatMessage.order_pk == order_pk)
            .order_by(ChatMessage.id)
        )
        return [(sender, body) for sender, body in rows.all()]


async def say(sessions: Sessions, order: Order, text: str) -> None:
    async with sessions() as session:
        serve_tenant(session, order.tenant_id)
        await post_checkout.send_message(
            session, order_id=order.order_id, user_id=order.user_id, body=text
        )
        await session.commit()


def seed_with_every_outcome(order_id: str, lines: int, catalog_size: int) -> int:
    """The first seed whose plan for the order gives each of the four outcomes."""
    planned = [rules.Line(str(n), 2, None, "shoppers_choice") for n in range(1, lines + 1)]
    for seed in range(1000):
        picks = rules.plan(
            seed, order_id, planned, rules.Mix(1, 1, 1, 1), catalog_size=catalog_size
        )
        if {p.outcome for p in picks} == set(rules.Outcome):
            return seed
    raise AssertionError("no seed gives every outcome")


# --- Playing an order -----------------------------------------------------------------------------


async def test_a_whole_order_is_played_to_delivered_with_the_mixs_outcomes(
    sessions: Sessions,
) -> None:
    shop = await arrange_shop(sessions, products=10)
    seed = seed_with_every_outcome("ap-1", 8, catalog_size=9)
    autopilot = await turn_on(
        sessions, seed=seed, mix={"found": 1, "partly_found": 1, "replaced": 1, "refunded": 1}
    )
    order = await place(sessions, shop, "ap-1", at=T0 + timedelta(seconds=5), lines=8)

    fired = await advance(sessions, T0 + timedelta(hours=1))

    assert fired[0].detail == "take"
    assert fired[0].at == T0 + timedelta(seconds=5)
    assert [b.at - a.at for a, b in itertools.pairwise(fired[1:])] == [timedelta(seconds=STEP)] * (
        len(fired) - 2
    )
    played = await load_order(sessions, "ap-1")
    assert played.workflow_state == "completed"
    assert played.shopper_id == autopilot.shopper_id
    lines = [rules.Line(i.line_num, i.count, i.weight, i.replacement_policy) for i in played.items]
    picks = rules.plan(seed, "ap-1", lines, mix_of(autopilot), catalog_size=9)
    for item, pick in zip(played.items, picks, strict=True):
        assert item.shopper_status == pick.shopper_status, item.line_num
        if pick.outcome is rules.Outcome.PARTLY_FOUND:
            assert item.delivered_count == pick.delivered_count < item.count
        if pick.outcome is rules.Outcome.REPLACED:
            others = [p.id for p in shop.products if p.id != item.product_id]
            assert item.replacement_product_id == others[pick.replacement or 0]
            assert item.replacement_status == "APPROVED"  # no answer in time is consent
            assert item.scans
            assert item.scans[0]["scanned_string"] != item.product.upc
        if pick.outcome is rules.Outcome.FOUND:
            assert item.delivered_count == item.count
            assert item.scans == [
                {"scanned_string": item.product.upc, "scanned_string_type": "upca"}
            ]
    names = await event_names(sessions, "ap-1")
    assert names[:2] == ["fulfillment.acknowledged", "fulfillment.picking"]
    assert names.index("fulfillment.checkout") < names.index("fulfillment.delivering")
    assert names[-2:] == ["fulfillment.order_location", "fulfillment.delivered"]
    assert names.count("fulfillment.order_item_replacement") == sum(
        p.outcome is rules.Outcome.REPLACED for p in picks
    )
    assert names.count("fulfillment.order_item_refund") == sum(
        p.outcome is rules.Outcome.REFUNDED for p in picks
    )
    # The trip: the store, positions along the path a step apart, the customer's door.
    async with sessions() as session:
        trip = (
            await session.scalars(
                select(ShopperLocation.recorded_at)
                .where(ShopperLocation.order_pk == order.id)
                .order_by(ShopperLocation.seq)
            )
        ).all()
    assert len(trip) == TRIP // STEP + 1
    assert trip[-1] - trip[0] == timedelta(seconds=TRIP)
    run = await run_of(sessions, order.id)
    assert (run.phase, run.next_step_at, run.item_index) == ("completed", None, 8)
    assert played.delivered_at == run.finished_at == fired[-1].at


async def test_the_same_seed_and_order_play_the_same_in_another_tenant(
    sessions: Sessions,
) -> None:
    shop = await arrange_shop(sessions, products=6)
    other = await factories.make_api_client(sessions, "Other", tenant_id=None)
    mix = {"found": 1, "partly_found": 1, "replaced": 1, "refunded": 1}
    for tenant in (DEFAULT_TENANT, other.tenant_id):
        await turn_on(sessions, tenant_id=tenant, seed=99, mix=mix)
        await place(
            sessions, shop, "same-1", at=T0 + timedelta(seconds=1), lines=5, tenant_id=tenant
        )
        await say(sessions, await _order(sessions, "same-1", tenant), "Hi! Any ripe ones?")
        await advance(sessions, T0 + timedelta(hours=1), tenant)

    played = []
    for tenant in (DEFAULT_TENANT, other.tenant_id):
        async with sessions() as session:
            serve_tenant(session, tenant)
            order = await session.scalar(select(Order).where(Order.order_id == "same-1"))
            assert order is not None
        found = await load_items(sessions, order.id)
        played.append((found, [m for m in await messages(sessions, order.id)]))
    assert played[0] == played[1]
    assert len({status for status, *_ in played[0][0]}) > 1


async def _order(sessions: Sessions, order_id: str, tenant_id: int) -> Order:
    async with sessions() as session:
        serve_tenant(session, tenant_id)
        order = await session.scalar(select(Order).where(Order.order_id == order_id))
        assert order is not None
        return order


async def load_items(sessions: Sessions, order_pk: int) -> list[tuple[object, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                OrderItem.shopper_status,
                OrderItem.delivered_count,
                OrderItem.replacement_product_id,
                OrderItem.replacement_status,
            )
            .where(OrderItem.order_pk == order_pk)
            .order_by(OrderItem.id)
        )
        return [tuple(row) for row in rows.all()]


async def _to_verifying(sessions: Sessions, order_id: str, *, timeout: int) -> Order:
    """An order of one line the autopilot replaces, played until it waits for the decision."""
    shop = await arrange_shop(sessions, products=3)
    await turn_on(sessions, mix={"replaced": 1}, decision_timeout_seconds=timeout)
    order = await place(sessions, shop, order_id, at=T0, lines=1)
    # take, picking, the line, verifying_replacements
    await advance(sessions, T0 + timedelta(seconds=3 * STEP))
    played = await load_order(sessions, order_id)
    assert played.workflow_state == "verifying_replacements"
    assert played.items[0].replacement_status == "PENDING"
    return order


async def test_the_wait_for_decisions_ends_on_the_customers_decision(sessions: Sessions) -> None:
    order = await _to_verifying(sessions, "wait-1", timeout=300)
    # The shopper waits, a step at a time.
    await advance(sessions, T0 + timedelta(seconds=6 * STEP))
    assert (await load_order(sessions, "wait-1")).workflow_state == "verifying_replacements"
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        await post_checkout.decide_replacement(
            session, order_id="wait-1", user_id=order.user_id, line_num="1", decision="REJECTED"
        )
        await session.commit()

    fired = await advance(sessions, T0 + timedelta(seconds=7 * STEP))

    assert len(fired) == 1
    played = await load_order(sessions, "wait-1")
    assert played.workflow_state == "checkout"
    assert played.items[0].shopper_status == "to_refund"
    names = await event_names(sessions, "wait-1")
    assert names.count("fulfillment.order_item_replacement_decision") == 1  # the customer's


async def test_the_wait_for_decisions_ends_on_the_timeout(sessions: Sessions) -> None:
    await _to_verifying(sessions, "wait-2", timeout=25)
    run = await run_of(sessions, (await load_order(sessions, "wait-2")).id)
    assert run.waiting_since == T0 + timedelta(seconds=3 * STEP)

    fired = await advance(sessions, T0 + timedelta(seconds=3 * STEP + 25))

    # Looks a step apart, the last one at the timeout, which goes to checkout.
    assert [d.at - T0 for d in fired] == [timedelta(seconds=s) for s in (40, 50, 55)]
    played = await load_order(sessions, "wait-2")
    assert played.workflow_state == "checkout"
    assert played.items[0].replacement_status == "APPROVED"
    async with sessions() as session:
        decision = await session.scalar(
            select(Event).where(
                Event.order_id == "wait-2",
                Event.name == "fulfillment.order_item_replacement_decision",
            )
        )
        assert decision is not None
        assert decision.metadata_["decided_by"] == "default"


async def test_each_customer_message_gets_one_reply(sessions: Sessions) -> None:
    shop = await arrange_shop(sessions)
    autopilot = await turn_on(sessions, seed=5)
    order = await place(sessions, shop, "chat-1", at=T0, lines=3)
    await advance(sessions, T0 + timedelta(seconds=STEP))  # take, picking
    await say(sessions, order, "Please pick green bananas")

    await advance(sessions, T0 + timedelta(seconds=2 * STEP))
    await advance(sessions, T0 + timedelta(seconds=4 * STEP))

    reply = rules.chat_reply(autopilot.seed, "chat-1", 1, "picking")
    assert await messages(sessions, order.id) == [
        ("customer", "Please pick green bananas"),
        ("shopper", reply),
    ]
    await say(sessions, order, "Thanks!")
    await say(sessions, order, "And oat milk")
    await advance(sessions, T0 + timedelta(seconds=5 * STEP))
    found = await messages(sessions, order.id)
    assert [sender for sender, _ in found] == [
        "customer",
        "shopper",
        "customer",
        "customer",
        "shopper",
        "shopper",
    ]
    assert found[4][1] == rules.chat_reply(autopilot.seed, "chat-1", 2, "picking")
    names = await event_names(sessions, "chat-1")
    assert names.count("chat_message_created") == 6


async def test_two_fires_of_one_step_at_once_play_it_once(sessions: Sessions) -> None:
    shop = await arrange_shop(sessions)
    await turn_on(sessions)
    order = await place(sessions, shop, "race-1", at=T0, lines=2)
    take = await next_due(sessions, T0)
    assert take is not None

    assert sorted(await asyncio.gather(*(EFFECT.fire(sessions, 1, take) for _ in range(2)))) == [
        False,
        True,
    ]
    step = await next_due(sessions, T0 + timedelta(seconds=STEP))
    assert step is not None
    assert step.detail == "acknowledged"
    assert sorted(await asyncio.gather(*(EFFECT.fire(sessions, 1, step) for _ in range(3)))) == [
        False,
        False,
        True,
    ]
    # Played once: one batch, one run a step in, one Picking callback; and never again.
    assert not await EFFECT.fire(sessions, 1, step)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Batch)) == 1
    run = await run_of(sessions, order.id)
    assert (run.step, run.phase) == (1, "picking")
    assert (await event_names(sessions, "race-1")).count("fulfillment.picking") == 1


async def test_another_tenants_orders_are_never_taken(sessions: Sessions) -> None:
    shop = await arrange_shop(sessions)
    other = await factories.make_api_client(sessions, "Other", tenant_id=None)
    await turn_on(sessions)
    theirs = await place(sessions, shop, "theirs-1", at=T0, tenant_id=other.tenant_id)

    assert await next_due(sessions, T0 + timedelta(hours=1)) is None
    assert await next_due(sessions, T0 + timedelta(hours=1), other.tenant_id) is None
    assert await play_due(sessions, sessions, EFFECT, now=T0 + timedelta(hours=1)) == 0
    async with sessions() as session:
        order = await session.get(Order, theirs.id)
        assert order is not None
        assert order.batch_id is None


async def test_an_order_is_taken_by_one_autopilot_and_the_oldest_first(sessions: Sessions) -> None:
    shop = await arrange_shop(sessions)
    first = await turn_on(sessions)
    second = await turn_on(sessions)
    before = await place(sessions, shop, "before-1", at=T0 - timedelta(seconds=1))
    newer = await place(sessions, shop, "newer-1", at=T0 + timedelta(seconds=2))
    older = await place(sessions, shop, "older-1", at=T0 + timedelta(seconds=1))
    third = await place(sessions, shop, "third-1", at=T0 + timedelta(seconds=3))

    await advance(sessions, T0 + timedelta(seconds=3))

    async with sessions() as session:
        runs = (
            await session.execute(select(AutopilotRun.order_pk, AutopilotRun.autopilot_id))
        ).all()
    assert dict(runs) == {older.id: first.id, newer.id: second.id}
    # Made before any autopilot was on: never taken. The third waits for a free shopper.
    assert (await load_order(sessions, "before-1")).batch_id is None
    assert (await load_order(sessions, "third-1")).batch_id is None
    assert before.id not in dict(runs)
    assert third.id not in dict(runs)


async def test_a_stopped_autopilot_takes_nothing_and_its_order_stays_where_it_is(
    sessions: Sessions,
) -> None:
    shop = await arrange_shop(sessions)
    autopilot = await turn_on(sessions)
    order = await place(sessions, shop, "stop-1", at=T0)
    await advance(sessions, T0 + timedelta(seconds=2 * STEP))  # take, picking, line 1
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        with clock.running_at(T0 + timedelta(seconds=25)):
            await autopilot_service.stop(session, autopilot.id)
        await session.commit()
    await place(sessions, shop, "stop-2", at=T0 + timedelta(seconds=30))

    assert await next_due(sessions, T0 + timedelta(hours=1)) is None
    assert await play_due(sessions, sessions, EFFECT, now=utcnow() + timedelta(hours=2)) == 0
    played = await load_order(sessions, "stop-1")
    assert played.workflow_state == "picking"
    run = await run_of(sessions, order.id)
    assert (run.phase, run.item_index, run.next_step_at) == ("picking", 1, None)
    assert (await load_order(sessions, "stop-2")).batch_id is None


async def test_a_canceled_order_ends_its_run_and_frees_the_shopper(sessions: Sessions) -> None:
    shop = await arrange_shop(sessions)
    await turn_on(sessions)
    order = await place(sessions, shop, "cancel-1", at=T0)
    await advance(sessions, T0 + timedelta(seconds=STEP))
    async with sessions() as session:
        row = await session.get(Order, order.id)
        assert row is not None
        row.workflow_state = "canceled"
        await session.commit()
    await place(sessions, shop, "cancel-2", at=T0 + timedelta(seconds=11))

    await advance(sessions, T0 + timedelta(seconds=3 * STEP))

    run = await run_of(sessions, order.id)
    assert (run.phase, run.next_step_at) == ("ended", None)
    assert (await load_order(sessions, "cancel-2")).batch_id is not None


async def test_the_wall_clock_loop_skips_tenants_whose_clock_is_frozen(
    app: FastAPI, sessions: Sessions
) -> None:
    shop = await arrange_shop(sessions)
    now = utcnow()
    await turn_on(sessions, at=now - timedelta(seconds=30))
    await place(sessions, shop, "wall-1", at=now - timedelta(seconds=25))
    async with sessions() as session:
        session.add(SandboxClock(tenant_id=DEFAULT_TENANT, frozen_at=now))
        await session.commit()

    assert await play_due(sessions, app.state.read_sessions, EFFECT, now=now) == 0

    async with sessions() as session:
        clock_row = await session.get(SandboxClock, DEFAULT_TENANT)
        await session.delete(clock_row)
        await session.commit()
    # On the wall clock: the take at 25 s ago, then the steps due since, each at its time.
    assert await play_due(sessions, app.state.read_sessions, EFFECT, now=now) == 3
    assert (await load_order(sessions, "wall-1")).workflow_state == "picking"
