"""Order timers: loops beside the API that write a callback for an order once its time has come.

- Late delivery, every ``AFTERCART_LATE_DELIVERY_SECONDS`` (0: off): each delivery order still
  under way when its delivery window has ended.
- Rating reminder: each delivered order nobody has rated ``AFTERCART_RATING_REMINDER_SECONDS``
  after its delivery (0: off), looked for every minute (as often as that delay, when shorter).

Each order gets each callback once, whatever the number of processes: it is written only by the
transaction whose conditional UPDATE (``late = false``, ``rating_reminder_at IS NULL``) changed
the order's row. On PostgreSQL a racing transaction waits for that row and then finds it changed;
on SQLite write transactions run one at a time. :func:`write_each` is that pattern (Late pickup
uses it too).
"""

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Update

from aftercart import tasks
from aftercart.config import Settings
from aftercart.db import aftercommit
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import late_delivery_payload, wire_time
from aftercart.fulfillment.rules import order_status
from aftercart.models import Order, Rating
from aftercart.post_checkout import rules

Sessions = async_sessionmaker[AsyncSession]
#: Orders looked at per tick: the rest wait for the next one.
BATCH: Final = 200
#: The longest wait between two looks for due rating reminders.
REMINDER_CHECK_SECONDS: Final = 60.0

#: The callback's ``event_metadata`` for the claimed order, or ``None`` when it is not due after
#: all (the order changed between the look and the claim).
Check = Callable[[AsyncSession, Order], Awaitable[dict[str, Any] | None]]


async def write_each(
    sessions: Sessions,
    read_sessions: Sessions,
    candidates: Select[int],
    *,
    claim: Callable[[int], Update],
    event: str,
    check: Check,
) -> int:
    """One tick: :func:`_write_once` for each of the first :data:`BATCH` order ids that
    ``candidates`` finds (looked for outside any write transaction), with the order's ``claim``.
    Returns how many callbacks it wrote."""
    async with read_sessions() as reader:
        order_pks = (await reader.scalars(candidates.limit(BATCH))).all()
    written = 0
    for order_pk in order_pks:
        claimed = claim(order_pk)
        written += await _write_once(sessions, order_pk, claim=claimed, event=event, check=check)
    return written


async def _write_once(
    sessions: Sessions, order_pk: int, *, claim: Update, event: str, check: Check
) -> bool:
    """In one transaction: ``claim``, a conditional UPDATE; when it changed a row and ``check``
    finds the callback still due, writes ``event`` for the order and commits; otherwise rolls
    back. Returns whether it wrote."""
    async with sessions() as session:
        won: CursorResult[tuple[()]] = await session.execute(claim)  # type: ignore[assignment]
        order = await session.get(Order, order_pk) if won.rowcount == 1 else None
        metadata = await check(session, order) if order is not None else None
        if order is None or metadata is None:
            await session.rollback()
            return False
        await record_event(session, event, order=order, metadata=metadata)
        await session.commit()
        aftercommit.committed(session)
    return True


async def flag_late_deliveries(
    sessions: Sessions, read_sessions: Sessions, *, now: datetime | None = None
) -> int:
    """One tick; returns how many Late delivery callbacks this call wrote."""
    moment = now or utcnow()
    candidates = (
        select(Order.id)
        .where(
            Order.service_type.in_(rules.DELIVERY_SERVICE_TYPES),
            Order.workflow_state.not_in(rules.ENDED_STATES),
            Order.window_ends_at <= moment,
            Order.late.is_(False),
        )
        .order_by(Order.id)
    )

    def claim(order_pk: int) -> Update:
        return update(Order).where(Order.id == order_pk, Order.late.is_(False)).values(late=True)

    async def late(_session: AsyncSession, order: Order) -> dict[str, Any] | None:
        overdue = rules.is_late_delivery(
            service_type=order.service_type,
            workflow_state=order.workflow_state,
            window_ends_at=order.window_ends_at,
            now=moment,
        )
        return late_delivery_payload(order) if overdue else None

    return await write_each(
        sessions, read_sessions, candidates, claim=claim, event=names.LATE_DELIVERY, check=late
    )


async def send_rating_reminders(
    sessions: Sessions, read_sessions: Sessions, *, delay: timedelta, now: datetime | None = None
) -> int:
    """One tick; returns how many Rating reminder callbacks this call wrote. A rating from any
    source (the customer's, or a marketplace's feedback on the order) counts."""
    moment = now or utcnow()
    candidates = (
        select(Order.id)
        .where(
            Order.workflow_state == rules.DELIVERED_STATE,
            Order.delivered_at <= moment - delay,
            Order.rating_reminder_at.is_(None),
            ~exists().where(Rating.order_pk == Order.id),
        )
        .order_by(Order.id)
    )

    def claim(order_pk: int) -> Update:
        return (
            update(Order)
            .where(Order.id == order_pk, Order.rating_reminder_at.is_(None))
            .values(rating_reminder_at=moment)
        )

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

    return await write_each(
        sessions, read_sessions, candidates, claim=claim, event=names.RATING_REMINDER, check=unrated
    )


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
