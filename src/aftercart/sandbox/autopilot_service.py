"""Turning autopilot shoppers on, reading and stopping them (``/v2/fulfillment_sandbox/autopilot``).
Playing them is :mod:`aftercart.sandbox.autopilot`'s."""

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.errors import AftercartError, InvalidParameter, NotFound
from aftercart.models import Autopilot, AutopilotRun, Order, Shopper
from aftercart.sandbox import autopilot_rules as rules
from aftercart.sandbox.autopilot_schemas import (
    AutopilotCreate,
    AutopilotDetail,
    AutopilotOrder,
    AutopilotView,
    MixView,
)
from aftercart.sandbox.autopilot_steps import mix_of
from aftercart.sandbox.batches import MAX_ID
from aftercart.sandbox.rules import raise_all
from aftercart.sandbox.shoppers import create_shopper

SHOPPER_NOT_FOUND = "Shopper not found"
ALREADY_ON = "already has an autopilot: stop it first"


async def turn_on(session: AsyncSession, request: AutopilotCreate) -> Autopilot:
    """Checks everything before it writes anything: the values (all problems at once), then
    the shopper (of the tenant, without an autopilot that is not stopped), locked so that two
    requests for one shopper give one autopilot."""
    errors: list[AftercartError] = rules.check_settings(
        seed=request.seed,
        decision_timeout_seconds=request.decision_timeout_seconds,
        step_seconds=request.step_seconds,
    )
    mix = rules.Mix() if request.mix is None else rules.Mix(**request.mix.model_dump())
    raise_all([*errors, *rules.mix_errors(mix)])
    if request.shopper_id is not None:
        shopper_id = await _free_shopper(session, request.shopper_id)
    else:
        shopper_id = (await create_shopper(session)).id
    now = clock.now()
    autopilot = Autopilot(
        shopper_id=shopper_id,
        seed=secrets.randbelow(rules.CHOSEN_SEED_BELOW) if request.seed is None else request.seed,
        mix_found=mix.found,
        mix_partly_found=mix.partly_found,
        mix_replaced=mix.replaced,
        mix_refunded=mix.refunded,
        decision_timeout_seconds=request.decision_timeout_seconds,
        step_seconds=request.step_seconds,
        created_at=now,
        free_at=now,
    )
    session.add(autopilot)
    await session.flush()
    return autopilot


async def _free_shopper(session: AsyncSession, shopper_id: int) -> int:
    shopper = None
    if 0 < shopper_id < MAX_ID:
        shopper = await session.scalar(
            select(Shopper).where(Shopper.id == shopper_id).with_for_update()
        )
    if shopper is None:
        raise InvalidParameter(SHOPPER_NOT_FOUND, key="shopper_id")
    busy = await session.scalar(
        select(Autopilot.id).where(
            Autopilot.shopper_id == shopper_id, Autopilot.stopped_at.is_(None)
        )
    )
    if busy is not None:
        raise InvalidParameter(f"Shopper {ALREADY_ON} ({busy})", key="shopper_id")
    return shopper.id


async def list_autopilots(session: AsyncSession) -> list[Autopilot]:
    return list(await session.scalars(select(Autopilot).order_by(Autopilot.id.desc())))


async def find(session: AsyncSession, autopilot_id: int, *, lock: bool = False) -> Autopilot:
    """The tenant's autopilot; another tenant's is not found, as an unknown one."""
    statement = select(Autopilot).where(Autopilot.id == autopilot_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    autopilot = await session.scalar(statement)
    if autopilot is None:
        raise NotFound()
    return autopilot


async def stop(session: AsyncSession, autopilot_id: int) -> Autopilot:
    """Stops it: it takes no more orders, and those in progress stay where they are (their
    batch as the last step left it). Stopping a stopped autopilot changes nothing."""
    autopilot = await find(session, autopilot_id, lock=True)
    if autopilot.stopped_at is None:
        autopilot.stopped_at = clock.now()
        autopilot.free_at = None
        await session.execute(
            update(AutopilotRun)
            .where(
                AutopilotRun.autopilot_id == autopilot.id, AutopilotRun.next_step_at.is_not(None)
            )
            .values(next_step_at=None)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
    return autopilot


def view(autopilot: Autopilot) -> AutopilotView:
    mix = mix_of(autopilot)
    return AutopilotView(
        id=autopilot.id,
        shopper_id=autopilot.shopper_id,
        seed=autopilot.seed,
        mix=MixView(
            found=mix.found,
            partly_found=mix.partly_found,
            replaced=mix.replaced,
            refunded=mix.refunded,
        ),
        decision_timeout_seconds=autopilot.decision_timeout_seconds,
        step_seconds=autopilot.step_seconds,
        active=autopilot.stopped_at is None,
        next_take_at=autopilot.free_at,
        created_at=autopilot.created_at,
        stopped_at=autopilot.stopped_at,
    )


async def detail(session: AsyncSession, autopilot: Autopilot) -> AutopilotDetail:
    rows = await session.execute(
        select(AutopilotRun, Order.order_id, Order.workflow_state)
        .join(Order, Order.id == AutopilotRun.order_pk)
        .where(AutopilotRun.autopilot_id == autopilot.id)
        .order_by(AutopilotRun.id)
    )
    orders = [
        AutopilotOrder(
            id=order_id,
            batch_id=run.batch_id,
            workflow_state=workflow_state,
            phase=run.phase,
            lines_picked=run.item_index,
            steps_played=run.step,
            next_step_at=run.next_step_at,
            waiting_since=run.waiting_since,
            created_at=run.created_at,
            finished_at=run.finished_at,
        )
        for run, order_id, workflow_state in rows.all()
    ]
    return AutopilotDetail(**view(autopilot).model_dump(), orders=orders)
