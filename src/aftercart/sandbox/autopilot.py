"""Autopilot shoppers, driven by the clock: :class:`AutopilotSteps` is the
:class:`~aftercart.sandbox.timed.TimedEffect` of kind ``autopilot_step`` (a frozen tenant's clock
advance fires its steps), and :func:`autopilot_shoppers` the loop that plays the steps of the
other tenants on the wall clock, every ``AFTERCART_AUTOPILOT_TICK_SECONDS`` (0: off).

A step is either an autopilot taking its next order (keyed by the autopilot) or the next step of
an order it plays (keyed by the run). Each is played once whatever the number of processes: the
step's transaction first claims it with a conditional UPDATE (the autopilot's ``free_at IS NOT
NULL``, the run's ``step = :seen``) and plays it only if that changed the row. Locks are taken
autopilot first, then run, batch and order, as stopping an autopilot takes them.
"""

import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Final

from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock, tasks
from aftercart.config import Settings
from aftercart.db import aftercommit
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.errors import AftercartError
from aftercart.models import Autopilot, AutopilotRun, Order, SandboxClock
from aftercart.sandbox import autopilot_rules as rules
from aftercart.sandbox import autopilot_steps as steps
from aftercart.sandbox.timed import Due, Sessions

log = logging.getLogger(__name__)

KIND: Final = "autopilot_step"
#: ``Due.detail`` of an autopilot taking its next order (``Due.key`` is then the autopilot's
#: id; otherwise it is the run's, and ``detail`` the run's phase).
TAKE: Final = "take"
#: Steps the wall-clock loop plays per tenant and tick, at most: the rest wait for the next.
BATCH: Final = 200
DEFAULT_TRIP_SECONDS: Final = 900.0


class AutopilotSteps:
    """The autopilot's steps as a timed effect. ``trip_seconds`` is how long the shopper takes
    from the store to the customer (``AFTERCART_SHOPPER_TRIP_SECONDS``); ``rank`` the place
    of this source in the clock's list, which breaks ties between sources."""

    kind: str = KIND

    def __init__(self, *, trip_seconds: float = DEFAULT_TRIP_SECONDS, rank: int = 0) -> None:
        self.trip_seconds = trip_seconds
        self.rank = rank

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        """The tenant's earliest step due by ``until`` (``after`` is not needed: a step that
        was played is no longer due)."""
        found: list[Due] = []
        row = (
            await session.execute(
                select(AutopilotRun, Order.order_id)
                .join(Order, Order.id == AutopilotRun.order_pk)
                .where(
                    AutopilotRun.tenant_id == tenant_id,
                    AutopilotRun.next_step_at.is_not(None),
                    AutopilotRun.next_step_at <= until,
                )
                .order_by(AutopilotRun.next_step_at, AutopilotRun.id)
                .limit(1)
            )
        ).first()
        if row is not None:
            run, order_id = row
            assert run.next_step_at is not None
            found.append(Due(run.next_step_at, self.rank, run.id, KIND, order_id, run.phase))
        free = await session.scalars(
            select(Autopilot)
            .where(
                Autopilot.tenant_id == tenant_id,
                Autopilot.stopped_at.is_(None),
                Autopilot.free_at.is_not(None),
                Autopilot.free_at <= until,
            )
            .order_by(Autopilot.id)
        )
        for autopilot in free.all():
            assert autopilot.free_at is not None
            order = await session.scalar(steps.takeable(autopilot, until=until))
            if order is not None:
                at = rules.take_due(autopilot.free_at, order.created_at)
                found.append(Due(at, self.rank, autopilot.id, KIND, order.order_id, TAKE))
        return min(found, default=None)

    async def fire(self, sessions: Sessions, tenant_id: int, due: Due) -> bool:
        """Plays ``due`` in its own transaction at ``due.at``; ``False`` when it was played
        already (by another process, or an earlier call) or is no longer due."""
        async with sessions() as session:
            serve_tenant(session, tenant_id)
            with clock.running_at(due.at):
                if due.detail == TAKE:
                    played = await self._take(session, due)
                else:
                    played = await self._step(session, due)
                if not played:
                    await session.rollback()
                    return False
                await session.commit()
            aftercommit.committed(session)
        return True

    async def _take(self, session: AsyncSession, due: Due) -> bool:
        claim = (
            update(Autopilot)
            .where(
                Autopilot.id == due.key,
                Autopilot.stopped_at.is_(None),
                Autopilot.free_at.is_not(None),
                Autopilot.free_at <= due.at,
            )
            .values(free_at=None)
            .execution_options(synchronize_session=False)
        )
        won: CursorResult[tuple[()]] = await session.execute(claim)  # type: ignore[assignment]
        if won.rowcount != 1:
            return False
        autopilot = await _autopilot(session, due.key)
        return autopilot is not None and await steps.take(session, autopilot, now=due.at)

    async def _step(self, session: AsyncSession, due: Due) -> bool:
        autopilot_id = await session.scalar(
            select(AutopilotRun.autopilot_id).where(AutopilotRun.id == due.key)
        )
        autopilot = await _autopilot(session, autopilot_id) if autopilot_id else None
        if autopilot is None or autopilot.stopped_at is not None:
            return False
        run = await session.scalar(
            select(AutopilotRun)
            .where(AutopilotRun.id == due.key)
            .execution_options(populate_existing=True)
        )
        if run is None or run.next_step_at is None or run.next_step_at > due.at:
            return False
        claim = (
            update(AutopilotRun)
            .where(AutopilotRun.id == run.id, AutopilotRun.step == run.step)
            .values(step=run.step + 1)
            .execution_options(synchronize_session=False)
        )
        won: CursorResult[tuple[()]] = await session.execute(claim)  # type: ignore[assignment]
        if won.rowcount != 1:
            return False
        await session.refresh(run)
        try:
            async with session.begin_nested():
                await steps.play(
                    session, autopilot, run, now=due.at, trip_seconds=self.trip_seconds
                )
        except AftercartError as error:
            # The batch went where no step can follow (changed by hand meanwhile): the run
            # ends there rather than failing the same step on every tick.
            log.warning("autopilot run %s ends: %s", run.id, error.message)
            await session.refresh(autopilot)
            await session.refresh(run)
            steps.finish(autopilot, run, now=due.at, phase=steps.ENDED)
        return True


async def _autopilot(session: AsyncSession, autopilot_id: int) -> Autopilot | None:
    """The autopilot, locked until commit (on SQLite the write transaction is exclusive)."""
    found: Autopilot | None = await session.scalar(
        select(Autopilot)
        .where(Autopilot.id == autopilot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def play_due(
    sessions: Sessions,
    read_sessions: Sessions,
    effect: AutopilotSteps,
    *,
    now: datetime | None = None,
) -> int:
    """One tick of the wall-clock loop: every step due by ``now`` of every tenant with an
    active autopilot and no frozen sandbox clock, each at its own due time, up to
    :data:`BATCH` per tenant. Returns how many this call played."""
    moment = now or utcnow()
    frozen = exists().where(SandboxClock.tenant_id == Autopilot.tenant_id)
    async with read_sessions() as reader:
        tenants = (
            await reader.scalars(
                select(Autopilot.tenant_id)
                .where(Autopilot.stopped_at.is_(None), ~frozen)
                .distinct()
                .order_by(Autopilot.tenant_id)
            )
        ).all()
    played = 0
    for tenant_id in tenants:
        for _ in range(BATCH):
            due = await _next_on_the_wall(read_sessions, effect, tenant_id, moment)
            if due is None:
                break
            if not await effect.fire(sessions, tenant_id, due):
                break  # played by another process meanwhile: the rest on the next tick
            played += 1
    return played


async def _next_on_the_wall(
    read_sessions: Sessions, effect: AutopilotSteps, tenant_id: int, moment: datetime
) -> Due | None:
    """The tenant's next due step, unless its clock was frozen meanwhile."""
    async with read_sessions() as reader:
        serve_tenant(reader, tenant_id)
        if await reader.get(SandboxClock, tenant_id) is not None:
            return None
        return await effect.next_due(reader, tenant_id, after=moment, until=moment)


@contextlib.asynccontextmanager
async def autopilot_shoppers(
    sessions: Sessions, read_sessions: Sessions, settings: Settings
) -> AsyncIterator[None]:
    """Runs the wall-clock loop while in the block, in the sandbox only and when
    ``AFTERCART_AUTOPILOT_TICK_SECONDS`` is not 0."""
    seconds = settings.autopilot_tick_seconds if settings.sandbox_enabled else 0
    effect = AutopilotSteps(trip_seconds=settings.shopper_trip_seconds)
    tick = functools.partial(play_due, sessions, read_sessions, effect)
    async with tasks.every(seconds, tick, name="autopilot-shoppers"):
        yield
