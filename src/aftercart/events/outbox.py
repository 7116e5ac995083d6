"""Writing events: one row per change, in the transaction of the change (a transactional outbox).

Nothing is sent from here. Deliveries owed to webhook subscriptions are written beside the event,
so a committed event always has its deliveries and a rolled-back one never does.
"""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.aftercommit import EventCommitted, defer
from aftercart.db.dialect import serialize_event_writers
from aftercart.db.types import utcnow
from aftercart.events.stream.notify import notify
from aftercart.models import Event, Order, WebhookDelivery, WebhookSubscription


async def record_event(
    session: AsyncSession,
    name: str,
    *,
    order: Order | None = None,
    metadata: dict[str, Any] | None = None,
    only_subscription: int | None = None,
) -> Event:
    """Appends an event; for an order, ``order_id``, ``user_id`` and ``location_code`` lead its
    metadata. Call it last in a unit of work: it takes the event-ordering lock until commit.

    ``only_subscription`` owes the event to that one subscription, whatever its event filter
    (a test event); otherwise to every active subscription that wants the name.
    """
    body: dict[str, Any] = {}
    if order is not None:
        body = {
            "order_id": order.order_id,
            "user_id": order.user_id,
            "location_code": order.location_code,
        }
    body.update(metadata or {})
    await serialize_event_writers(session)
    event = Event(
        name=name,
        order_pk=order.id if order is not None else None,
        order_id=order.order_id if order is not None else None,
        user_id=order.user_id if order is not None else None,
        metadata_=body,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    await _owe_deliveries(session, event, only_subscription)
    await notify(session, event)
    defer(session, EventCommitted(event.order_pk, event.id))
    return event


_ACTIVE = select(WebhookSubscription).where(WebhookSubscription.active)
#: Built once: every write runs one of these, and building it costs more than running it.
_ACTIVE_ONE = _ACTIVE.where(WebhookSubscription.id == bindparam("only"))


async def _owe_deliveries(session: AsyncSession, event: Event, only: int | None) -> None:
    query = _ACTIVE if only is None else _ACTIVE_ONE
    params = {} if only is None else {"only": only}
    for subscription in (await session.scalars(query, params)).all():
        wanted = subscription.event_names
        if only is None and wanted is not None and event.name not in wanted:
            continue
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id, event_id=event.id, next_attempt_at=utcnow()
            )
        )
    await session.flush()
