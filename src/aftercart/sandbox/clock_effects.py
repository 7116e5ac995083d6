"""What passing time fires, source by source, for the sandbox clock's advance.

Each class is a :class:`aftercart.sandbox.timed.TimedEffect`, made anew for each advance. Some
effects change a row when they fire (a callback's conditional claim, a retry's lease), so what
has fired is not due again. The others are only time passing a mark (a slot hold's expiry, the
end of an order's chat): those are due once their mark falls after the time the advance
started, and each remembers what it fired in this advance.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.webhooks import rules as webhook_rules
from aftercart.events.webhooks import worker
from aftercart.events.webhooks.sender import Sender
from aftercart.fulfillment.rules import CANCELED, STATUS_BY_WORKFLOW_STATE
from aftercart.models import Event, Order, ServiceOptionHold, WebhookDelivery
from aftercart.post_checkout import order_timers
from aftercart.post_checkout.order_timers import OrderTimer
from aftercart.post_checkout.pickup_tasks import LATE_PICKUP
from aftercart.post_checkout.rules import CHAT_TTL
from aftercart.sandbox.autopilot import AutopilotSteps
from aftercart.sandbox.clock_store import tenants_deliveries
from aftercart.sandbox.timed import Due, Sessions, TimedEffect

DELIVERED_STATES: Final = tuple(
    state for state, status in STATUS_BY_WORKFLOW_STATE.items() if status == "delivered"
)
#: How long a retry sent by an advance holds its delivery against the worker.
RETRY_LEASE: Final = timedelta(seconds=60)


@dataclass
class _PassingMark:
    """An effect that is only time passing a mark: due once the mark falls after ``since``
    (when the advance started), fired by remembering it for the rest of the advance."""

    since: datetime
    rank: int
    fired: set[int] = field(default_factory=set)

    async def fire(self, sessions: Sessions, tenant_id: int, due: Due) -> bool:
        self.fired.add(due.key)
        return True


@dataclass
class HoldExpiry(_PassingMark):
    """A slot hold expires: from then on its place in the slot is free (a hold that expired
    still books while the slot has room). Nothing is written: the hold's time has passed."""

    kind: str = "hold_expired"

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        row = (
            await session.execute(
                select(
                    ServiceOptionHold.id, ServiceOptionHold.expires_at, ServiceOptionHold.user_id
                )
                .where(
                    ServiceOptionHold.expires_at > self.since,
                    ServiceOptionHold.expires_at <= until,
                    ServiceOptionHold.id.not_in(self.fired),
                )
                .order_by(ServiceOptionHold.expires_at, ServiceOptionHold.id)
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        hold_id, at, user_id = row
        return Due(at, self.rank, hold_id, self.kind, detail=f"hold {hold_id} of user {user_id}")


@dataclass
class ChatExpiry(_PassingMark):
    """An order's chat expires 24 hours after the order was delivered or canceled: from then on
    it reads empty and takes no message. Nothing is written."""

    kind: str = "chat_expired"

    def _ended_between(self, until: datetime) -> Select[int, str, datetime]:
        low, high = self.since - CHAT_TTL, until - CHAT_TTL
        canceled_at = (
            select(func.max(Event.created_at))
            .where(Event.order_pk == Order.id, Event.name == names.CANCELED)
            .scalar_subquery()
        )
        ended = func.coalesce(Order.delivered_at, canceled_at)
        return (
            select(Order.id, Order.order_id, ended)
            .where(
                or_(
                    and_(
                        Order.workflow_state.in_(DELIVERED_STATES),
                        Order.delivered_at > low,
                        Order.delivered_at <= high,
                    ),
                    and_(Order.workflow_state == CANCELED, canceled_at > low, canceled_at <= high),
                ),
                Order.id.not_in(self.fired),
            )
            .order_by(ended, Order.id)
            .limit(1)
        )

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        row = (await session.execute(self._ended_between(until))).first()
        if row is None:
            return None
        order_pk, order_id, ended = row
        return Due(ended + CHAT_TTL, self.rank, order_pk, self.kind, order_id=order_id)


@dataclass
class CallbackTimer:
    """A timer's callback (Late delivery, Late pickup, Rating reminder) for an order whose time
    has come: written once, by :func:`aftercart.post_checkout.order_timers.write_once`."""

    timer: OrderTimer
    rank: int
    kind: str

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        statement = (
            self.timer.candidates(until)
            .add_columns(Order.order_id, self.timer.due_column)
            .order_by(None)
            .order_by(self.timer.due_column, Order.id)
            .limit(1)
        )
        row = (await session.execute(statement)).first()
        if row is None:
            return None
        order_pk, order_id, mark = row
        return Due(mark + self.timer.due_after, self.rank, order_pk, self.kind, order_id=order_id)

    async def fire(self, sessions: Sessions, tenant_id: int, due: Due) -> bool:
        return await order_timers.write_once(
            sessions, self.timer, due.key, due.at, tenant_id=tenant_id
        )


@dataclass
class WebhookRetry:
    """A failed delivery's retry, scheduled on the frozen clock: sent when the clock reaches it,
    through the worker's own path (:func:`aftercart.events.webhooks.worker.send`). Should it
    fail again, its next retry waits on the clock in turn."""

    sender: Sender
    rank: int
    kind: str = "webhook_retry"

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        row = (
            await session.execute(
                select(WebhookDelivery.id, WebhookDelivery.clock_due_at)
                .where(
                    WebhookDelivery.id.in_(tenants_deliveries(tenant_id)),
                    WebhookDelivery.status == webhook_rules.PENDING,
                    WebhookDelivery.clock_due_at <= until,
                )
                .order_by(WebhookDelivery.clock_due_at, WebhookDelivery.id)
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        delivery_id, at = row
        if at is None:
            return None
        return Due(at, self.rank, delivery_id, self.kind, detail=f"delivery {delivery_id}")

    async def fire(self, sessions: Sessions, tenant_id: int, due: Due) -> bool:
        lease_until = utcnow() + RETRY_LEASE
        async with sessions() as session:
            # Taken off the clock and leased at once: should this process die before sending,
            # the lease ends and the worker sends it.
            taken: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
                update(WebhookDelivery)
                .where(WebhookDelivery.id == due.key, WebhookDelivery.clock_due_at.is_not(None))
                .values(clock_due_at=None, locked_until=lease_until, next_attempt_at=lease_until)
            )
            await session.commit()
        if taken.rowcount != 1:
            return False
        await worker.send(sessions, due.key, sender=self.sender, lease=RETRY_LEASE)
        return True


def effects(settings: Settings, *, since: datetime, sender: Sender) -> list[TimedEffect]:
    """Every source of time-driven effects, in the order effects due at the same time fire:
    hold expiry, Late delivery, Late pickup, webhook retries, chat expiry, Rating reminder,
    autopilot shoppers' steps.
    A callback whose timer is off (its setting is 0) is not fired by the clock either."""
    timers: list[TimedEffect] = [HoldExpiry(since, rank=0)]
    if settings.late_delivery_seconds:
        timers.append(CallbackTimer(order_timers.LATE_DELIVERY, 1, "late_delivery"))
    if settings.late_pickup_seconds:
        timers.append(CallbackTimer(LATE_PICKUP, 2, "late_pickup"))
    timers.append(WebhookRetry(sender, rank=3))
    timers.append(ChatExpiry(since, rank=4))
    if settings.rating_reminder_seconds:
        delay = timedelta(seconds=settings.rating_reminder_seconds)
        timers.append(CallbackTimer(order_timers.rating_reminder(delay), 5, "rating_reminder"))
    timers.append(AutopilotSteps(trip_seconds=settings.shopper_trip_seconds, rank=6))
    return timers
