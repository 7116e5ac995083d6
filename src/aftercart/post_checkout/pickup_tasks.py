"""Late pickups: a loop beside the API that, every ``AFTERCART_LATE_PICKUP_SECONDS`` (0: off),
writes the Late pickup callback for each staged pickup order whose pickup window has ended.

Each order gets it once, whatever the number of processes: the callback is written only by the
transaction whose conditional ``UPDATE ... WHERE late_pickup_at IS NULL`` changed the row
(:class:`aftercart.post_checkout.order_timers.OrderTimer`).
"""

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Update

from aftercart import tasks
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.payloads import window_payload
from aftercart.models import Order, PickupStatus
from aftercart.post_checkout import pickup_rules
from aftercart.post_checkout.order_timers import Check, OrderTimer, tick

Sessions = async_sessionmaker[AsyncSession]


def _candidates(moment: datetime) -> Select[int]:
    return (
        select(PickupStatus.order_pk)
        .join(Order, Order.id == PickupStatus.order_pk)
        .where(
            Order.service_type == "pickup",
            Order.workflow_state == pickup_rules.STAGED,
            Order.window_ends_at <= moment,
            PickupStatus.late_pickup_at.is_(None),
        )
        .order_by(PickupStatus.order_pk)
    )


def _claim(order_pk: int, moment: datetime) -> Update:
    return (
        update(PickupStatus)
        .where(PickupStatus.order_pk == order_pk, PickupStatus.late_pickup_at.is_(None))
        .values(late_pickup_at=moment)
    )


def _check(moment: datetime) -> Check:
    async def late(session: AsyncSession, order: Order) -> dict[str, Any] | None:
        staged = order.workflow_state == pickup_rules.STAGED
        if not staged or not pickup_rules.is_late(window_ends_at=order.window_ends_at, now=moment):
            return None
        category = await session.scalar(
            select(PickupStatus.pickup_category).where(PickupStatus.order_pk == order.id)
        )
        return {"pickup_category": category, **window_payload(order)}

    return late


LATE_PICKUP: Final = OrderTimer(
    names.LATE_PICKUP, _candidates, _claim, _check, Order.window_ends_at
)


async def flag_late_pickups(
    sessions: Sessions, read_sessions: Sessions, *, now: datetime | None = None
) -> int:
    """One tick; returns how many Late pickup callbacks this call wrote."""
    return await tick(LATE_PICKUP, sessions, read_sessions, now or utcnow())


@contextlib.asynccontextmanager
async def late_pickups(
    sessions: Sessions, read_sessions: Sessions, settings: Settings
) -> AsyncIterator[None]:
    """Runs the loop while in the block, when the timer is on."""
    flag = functools.partial(flag_late_pickups, sessions, read_sessions)
    async with tasks.every(settings.late_pickup_seconds, flag, name="late-pickups"):
        yield
