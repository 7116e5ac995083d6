"""Order timers: loops beside the API that write a callback for an order once its time has come.

- Late delivery, every ``AFTERCART_LATE_DELIVERY_SECONDS`` (0: off): each delivery order still
  under way when its delivery window has ended.
- Rating reminder: each delivered order nobody has rated ``AFTERCART_RATING_REMINDER_SECONDS``
  after its delivery (0: off), looked for every minute (as often as that delay, when shorter).

Each order gets each callback once, whatever the number of processes: it is written only by the
transaction whose conditional UPDATE (``late = false``, ``rating_reminder_at IS NULL``) changed
the order's row. On PostgreSQL a racing transaction waits for that row and then finds it changed;
on SQLite write transactions run one at a time. :class:`OrderTimer` and :func:`write_once` are
that pattern (Late pickup uses it too, and so does the sandbox clock's advance).

The loops run on the wall clock and leave alone the orders of a tenant whose sandbox clock is
frozen: for those, time passes only when the clock is advanced.
"""

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.dml import Update

from aftercart import tasks
from aftercart.config import Settings
from aftercart.db import aftercommit
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import late_delivery_payload, wire_time
from aftercart.fulfillment.rules import order_status
from aftercart.models import Order, Rating, SandboxClock
from aftercart.post_checkout import rules

Sessions = async_sessionmaker[AsyncSession]
#: Orders looked at per tick: the rest wait for the next one.
BATCH: Final = 200
#: The longest wait between two looks for due rating reminders.
REMINDER_CHECK_SECONDS: Final = 60.0

#: The callback's ``event_metadata`` for the claimed order, or ``None`` when it is not due after
#: all (the order changed between the look and the claim).
Check = Callable[[AsyncSession, Order], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class OrderTimer:
    """A callback an order gets once, when its time has come.

    ``candidates(moment)`` selects the ids of the orders it is due for at ``moment`` (the first
    column), ``claim(order_pk, moment)`` is the conditional UPDATE that marks one order as
    given it, and ``check(moment)`` asks again under that claim. The order falls due at
    ``due_column + due_after``: the sandbox clock's advance fires it there
    (:mod:`aftercart.sandbox.clock_effects`).
    """

    event: str
    candidates: Callable[[datetime], Select[int]]
    claim: Callable[[int, datetime], Update]
    check: Callable[[datetime], Check]
    due_column: QueryableAttribute[datetime | None]
    due_after: timedelta = timedelta(0)


async def tick(
    timer: OrderTimer, sessions: Sessions, read_sessions: Sessions, moment: datetime
) -> int:
    """One look on the wall clock: :func:`write_once` for each of the first :data:`BATCH`
    orders due, leaving those of tenants whose sandbox clock is frozen to the clock's advance.
    Returns how many callbacks it wrote."""
    on_the_wall = Order.tenant_id.not_in(select(SandboxClock.tenant_id))
    async with read_sessions() as reader:
        candidates = timer.candidates(moment).where(on_the_wall).limit(BATCH)
        order_pks = (await reader.scalars(candidates)).all()
    written = 0
    for order_pk in order_pks:
        written += await write_once(sessions, timer, order_pk, moment)
    return written


async def write_once(
    sessions: Sessions,
    timer: OrderTimer,
    order_pk: int,
    moment: datetime,
    *,
    tenant_id: int | None = None,
) -> bool:
    """In one transaction: the timer's claim; when it changed a row and its check finds the
    callback still due at ``moment``, writes the callback for the order and commits; otherwise
    rolls back. ``tenant_id``, when given, is the only tenant whose order it may be. Returns
    whether it wrote."""
    async with sessions() as session:
        if tenant_id is not None:
            serve_tenant(session, tenant_id)
        won: CursorResult[tuple[()]] = await session.execute(timer.claim(order_pk, moment))  # type: ignore[assignment]
        order = await session.get(Order, order_pk) if won.rowcount == 1 else None
        metadata = await timer.check(moment)(session, order) if order is not None else None
        if order is None or metadata is None:
            await session.rollback()
            return False
        await record_event(session, timer.event, order=order, metadata=metadata)
        await session.commit()
        aftercommit.committed(session)
    return True


def _late_delivery_candidates(moment: datetime) -> Select[int]:
    return (
        select(Order.id)
        .where(
            Order.service_type.in_(rules.DELIVERY_SERVICE_TYPES),
            Order.workflow_state.not_in(rules.ENDED_STATES),
            Order.window_ends_at <= moment,
            Order.late.is_(False),
        )
        .order_by(Order.id)
    )


def _late_delivery_claim(order_pk: int, _moment: datetime) -> Update:
    return update(Order).where(Order.id == order_pk, Order.late.is_(False)).values(late=True)


def _late_delivery_check(moment: datetime) -> Check:
    async def late(_session: AsyncSession, order: Order) -> dict[str, Any] | None:
        overdue = rules.is_late_delivery(
            service_type=order.service_type,
            workflow_state=order.workflow_state,
            window_ends_at=order.window_ends_at,
            now=moment,
        )
        return late_delivery_payload(order) if overdue else None

    return late


LATE_DELIVERY: Final = OrderTimer(
    names.LATE_DELIVERY,
    _late_delivery_candidates,
    _late_delivery_claim,
    _late_delivery_check,
    Order.window_ends_at,
)


async def flag_late_deliveries(
    sessions: Sessions, read_sessions: Sessions, *, now: datetime | None = None
) -> int:
    """One tick; returns how many Late delivery callbacks this call wrote."""
    return await tick(LATE_DELIVERY, sessions, read_sessions, now or utcnow())


def rating_reminder(delay: timedelta) -> OrderTimer:
    """The Rating reminder, ``delay`` after delivery, for an order nobody has rated. A rating
    from any source (the customer's, or a marketplace's feedback on the order) counts."""

    def candidates(moment: datetime) -> Select[int]:
        return (
            select(Order.id)
            .where(
                Order.workflow_state == rules.DELIVERED_STATE,
                Order.delivered_at <= moment - delay,
                Order.rating_reminder_at.is_(None),
                ~exists().where(Rating.order_pk == Order.id),
            )
            .order_by(Order.id)
        )

    def claim(order_pk: int, moment: datetime) -> Update:
        return (
            update(Order)
            .where(Order.id == order_pk, Order.rating_reminder_at.is_(None))
            .values(rating_reminder_at=moment)
        )

    def check(moment: datetime) -> Check:
        async def unrated(session: AsyncSession, order: Order) -> dict[str, Any] | None:
            # Asked again under the order's lock: a rating committed since the look counts.
            rated = await session.scalar(select(exists().where(Rating.order_pk == order.id)))
            due = rules.rating_reminder_due(
                workflow_state=order.workflow_state,
                delivered_at=order.delivered_at,
                rated=bool(rated),
                delay=delay,
                now=moment,
            )
            if not due:
                return None
            return {
                "status": order_status(order.workflow_state),
                "delivered_at": wire_time(order.delivered_at),
            }

        return unrated

    return OrderTimer(
        names.RATING_REMINDER, candidates, claim, check, Order.delivered_at, due_after=delay
    )


async def send_rating_reminders(
    sessions: Sessions, read_sessions: Sessions, *, delay: timedelta, now: datetime | None = None
) -> int:
    """One tick; returns how many Rating reminder callbacks this call wrote."""
    return await tick(rating_reminder(delay), sessions, read_sessions, now or utcnow())


@contextlib.asynccontextmanager
async def order_timers(
    sessions: Sessions, read_sessions: Sessions, settings: Settings
) -> AsyncIterator[None]:
    """Runs the Late delivery and the Rating reminder loops while in the block, each when its
    setting is not 0."""
    delay = settings.rating_reminder_seconds
    flag = functools.partial(flag_late_deliveries, sessions, read_sessions)
    remind = functools.partial(
        send_rating_reminders, sessions, read_sessions, delay=timedelta(seconds=delay)
    )
    async with (
        tasks.every(settings.late_delivery_seconds, flag, name="late-deliveries"),
        tasks.every(min(delay, REMINDER_CHECK_SECONDS), remind, name="rating-reminders"),
    ):
        yield
