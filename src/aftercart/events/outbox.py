"""Writing events: one row per change, in the transaction of the change (a transactional outbox).

Nothing is sent from here. Deliveries owed to webhook subscriptions are written beside the event,
so a committed event always has its deliveries and a rolled-back one never does.
"""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.db.aftercommit import EventCommitted, defer
from aftercart.db.dialect import serialize_event_writers
from aftercart.db.types import utcnow
from aftercart.events.stream.notify import notify
from aftercart.models import ApiClient, Event, Order, WebhookDelivery, WebhookSubscription


async def record_event(
    session: AsyncSession,
    name: str,
    *,
    order: Order | None = None,
    metadata: dict[str, Any] | None = None,
    only_subscription: int | None = None,
    tenant_id: int | None = None,
) -> Event:
    """Appends an event; for an order, ``order_id``, ``user_id`` and ``location_code`` lead its
    metadata. Call it last in a unit of work: it takes the event-ordering lock until commit.

    ``only_subscription`` owes the event to that one subscription, whatever its event filter
    (a test event); otherwise to every active subscription of the event's tenant that wants
    the name.

    The event is the order's tenant's; without an order, ``tenant_id``'s, else the tenant the
    session serves (see :mod:`aftercart.db.tenancy`).
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
        tenant_id=order.tenant_id if order is not None else tenant_id,
        name=name,
        order_pk=order.id if order is not None else None,
        order_id=order.order_id if order is not None else None,
        user_id=order.user_id if order is not None else None,
        metadata_=body,
        created_at=clock.now(),
    )
    session.add(event)
    await session.flush()
    await _owe_deliveries(session, event, only_subscription)
    await notify(session, event)
    defer(session, EventCommitted(event.order_pk, event.id))
    return event


_ACTIVE = (
    select(WebhookSubscription)
    .join(ApiClient, ApiClient.client_id == WebhookSubscription.client_id)
    .where(WebhookSubscription.active, ApiClient.tenant_id == bindparam("tenant"))
)
#: Built once: every write runs one of these, and building it costs more than running it.
_ACTIVE_ONE = _ACTIVE.where(WebhookSubscription.id == bindparam("only"))


async def _owe_deliveries(session: AsyncSession, event: Event, only: int | None) -> None:
    query = _ACTIVE if only is None else _ACTIVE_ONE
    params: dict[str, int] = {"tenant": event.tenant_id}
    if only is not None:
        params["only"] = only
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
