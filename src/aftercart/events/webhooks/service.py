"""Webhook subscriptions and their delivery log.

A client manages only its own subscriptions (``client_id``); the CLI passes ``client_id=None``
and may manage all of them. Every active subscription, whoever owns it, receives matching events:
one deployment serves one retailer.
"""

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.aftercommit import DeliveriesDue, defer
from aftercart.db.types import utcnow
from aftercart.errors import (
    AftercartError,
    CapReached,
    Conflict,
    InvalidParameter,
    MultipleErrors,
    NotFound,
)
from aftercart.events import names
from aftercart.events.envelope import envelope
from aftercart.events.outbox import record_event
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.oauth import OAuthSettings
from aftercart.events.webhooks.urls import check_url
from aftercart.models import ApiClient, Event, WebhookAttempt, WebhookDelivery, WebhookSubscription

MAX_DELIVERIES_PAGE = 500


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _event_name_errors(event_names: list[str] | None) -> list[AftercartError]:
    if event_names is None:
        return []
    if not event_names:
        return [InvalidParameter("can't be blank", key="event_names")]
    return [
        InvalidParameter("is not included in the list", key=f"event_names[{i}]")
        for i, name in enumerate(event_names)
        if name not in names.ALL
    ]


async def _check_target(
    *, url: str, oauth: OAuthSettings | None, event_names: list[str] | None, allow_private: bool
) -> None:
    """Every problem at once: one is raised as itself, several as code 9999."""
    errors = _event_name_errors(event_names)
    urls = [("url", url)] + ([("oauth.token_url", oauth.token_url)] if oauth else [])
    for key, value in urls:
        try:
            await check_url(value, key=key, allow_private=allow_private)
        except InvalidParameter as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)


def _set_oauth(subscription: WebhookSubscription, oauth: OAuthSettings | None) -> None:
    subscription.oauth_token_url = oauth.token_url if oauth else None
    subscription.oauth_client_id = oauth.client_id if oauth else None
    subscription.oauth_client_secret = oauth.client_secret if oauth else None
    subscription.oauth_scope = oauth.scope if oauth else None


async def create_subscription(
    session: AsyncSession,
    *,
    client_id: str,
    url: str,
    event_names: list[str] | None = None,
    oauth: OAuthSettings | None = None,
    active: bool = True,
    allow_private: bool,
    max_per_client: int = 0,
) -> WebhookSubscription:
    """A new subscription; its ``signing_secret`` is for the creator to show once. A client
    that already has ``max_per_client`` subscriptions (0: no cap) gets 409."""
    if await session.get(ApiClient, client_id) is None:
        raise InvalidParameter("Client not found", key="client_id")
    if max_per_client:
        count = await session.scalar(
            select(func.count())
            .select_from(WebhookSubscription)
            .where(WebhookSubscription.client_id == client_id)
        )
        if (count or 0) >= max_per_client:
            raise CapReached(
                f"This client already has {max_per_client} webhook subscriptions, the most it "
                "may have; delete one first"
            )
    await _check_target(url=url, oauth=oauth, event_names=event_names, allow_private=allow_private)
    subscription = WebhookSubscription(
        client_id=client_id,
        url=url,
        event_names=event_names,
        signing_secret=new_signing_secret(),
        active=active,
    )
    _set_oauth(subscription, oauth)
    session.add(subscription)
    await session.flush()
    return subscription


async def list_subscriptions(
    session: AsyncSession, *, client_id: str | None
) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if client_id is not None:
        query = query.where(WebhookSubscription.client_id == client_id)
    return list((await session.scalars(query)).all())


#: Row locks (PostgreSQL; SQLite's write transactions hold the whole database). ``CHANGE`` is
#: ``FOR NO KEY UPDATE``: it waits for a delete but lets event writers, which hold the events lock,
#: insert deliveries that refer to the row (their foreign-key check takes ``FOR KEY SHARE``). A
#: ``FOR UPDATE`` taken before the events lock deadlocked with them (found by fuzzing).
CHANGE: dict[str, Any] = {"key_share": True}
DELETE: dict[str, Any] = {}


async def get_subscription(
    session: AsyncSession,
    *,
    subscription_id: int,
    client_id: str | None,
    lock: dict[str, Any] | None = None,
) -> WebhookSubscription:
    """The subscription, if it is the client's (another client's is "not found" as well).

    ``lock`` (:data:`CHANGE` or :data:`DELETE`) locks its row for a request that changes it or
    writes rows that refer to it: one deleted meanwhile is then "not found" rather than an
    update of nothing or a delivery of a subscription that is gone."""
    subscription = await session.get(WebhookSubscription, subscription_id, with_for_update=lock)
    if subscription is None or client_id not in (None, subscription.client_id):
        raise NotFound()
    return subscription


async def update_subscription(
    session: AsyncSession,
    *,
    subscription_id: int,
    client_id: str | None,
    changes: dict[str, Any],
    allow_private: bool,
) -> WebhookSubscription:
    """Applies ``changes`` (any of url, event_names, oauth, active). Enabling a subscription
    clears why it was disabled; its deliveries that wait are then sent."""
    subscription = await get_subscription(
        session, subscription_id=subscription_id, client_id=client_id, lock=CHANGE
    )
    current_oauth = None
    if subscription.oauth_token_url and subscription.oauth_client_id:
        current_oauth = OAuthSettings(
            subscription.oauth_token_url,
            subscription.oauth_client_id,
            subscription.oauth_client_secret or "",
            subscription.oauth_scope,
        )
    url: str = changes.get("url") or subscription.url
    event_names = changes.get("event_names", subscription.event_names)
    oauth: OAuthSettings | None = changes.get("oauth", current_oauth)
    await _check_target(url=url, oauth=oauth, event_names=event_names, allow_private=allow_private)
    subscription.url = url
    subscription.event_names = event_names
    _set_oauth(subscription, oauth)
    if changes.get("active") is not None:
        subscription.active = bool(changes["active"])
        if subscription.active:
            subscription.disabled_reason = None
    await session.flush()
    return subscription


async def delete_subscription(
    session: AsyncSession, *, subscription_id: int, client_id: str | None
) -> None:
    """Deletes the subscription with its deliveries and their attempts."""
    subscription = await get_subscription(
        session, subscription_id=subscription_id, client_id=client_id, lock=DELETE
    )
    await session.delete(subscription)
    await session.flush()


async def send_test(
    session: AsyncSession, *, subscription_id: int, client_id: str | None
) -> WebhookDelivery:
    """Writes a ``webhook.test`` event owed to this subscription only."""
    subscription = await get_subscription(
        session, subscription_id=subscription_id, client_id=client_id, lock=CHANGE
    )
    if not subscription.active:
        raise Conflict("The webhook subscription is disabled")
    metadata = {"subscription_id": subscription.id, "message": "A test event from Aftercart."}
    event = await record_event(
        session,
        names.WEBHOOK_TEST,
        metadata=metadata,
        only_subscription=subscription.id,
        tenant_id=await session.scalar(
            select(ApiClient.tenant_id).where(ApiClient.client_id == subscription.client_id)
        ),
    )
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
    )
    assert delivery is not None
    return delivery


async def list_deliveries(
    session: AsyncSession,
    *,
    subscription_id: int,
    client_id: str | None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[tuple[WebhookDelivery, str]]:
    """Deliveries of a subscription, newest first, with their event names; ``before`` is the
    last id of the previous page."""
    await get_subscription(session, subscription_id=subscription_id, client_id=client_id)
    query = (
        select(WebhookDelivery, Event.name)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(max(1, min(limit, MAX_DELIVERIES_PAGE)))
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return [(delivery, name) for delivery, name in (await session.execute(query)).all()]


@dataclass(frozen=True)
class DeliveryRecord:
    delivery: WebhookDelivery
    payload: dict[str, Any]
    attempts: list[WebhookAttempt]


async def _delivery(
    session: AsyncSession, *, delivery_id: int, client_id: str | None, lock: bool = False
) -> WebhookDelivery:
    """The delivery, if its subscription is the client's; ``lock`` locks the delivery's row as
    :data:`CHANGE` does a subscription's (the worker's attempts refer to it meanwhile)."""
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=lock and CHANGE)
    if delivery is None:
        raise NotFound()
    await get_subscription(session, subscription_id=delivery.subscription_id, client_id=client_id)
    return delivery


async def get_delivery(
    session: AsyncSession, *, delivery_id: int, client_id: str | None
) -> DeliveryRecord:
    delivery = await _delivery(session, delivery_id=delivery_id, client_id=client_id)
    event = await session.get(Event, delivery.event_id)
    if event is None:
        raise NotFound()
    attempts = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.id)
    )
    payload = envelope(
        event_id=event.id, name=event.name, created_at=event.created_at, metadata=event.metadata_
    )
    return DeliveryRecord(delivery, payload, list(attempts.all()))


async def redeliver(
    session: AsyncSession, *, delivery_id: int, client_id: str | None, now: datetime | None = None
) -> tuple[WebhookDelivery, str]:
    """Schedules a new attempt now, with the same ``webhook-id``; returns the delivery and its
    event's name. A delivery in flight keeps its lease and is tried again once that ends.
    Retries follow the usual schedule within the window (72 h from the event); past it, a
    redelivery is one attempt."""
    delivery = await _delivery(session, delivery_id=delivery_id, client_id=client_id, lock=True)
    delivery.status = rules.PENDING
    delivery.next_attempt_at = now or utcnow()
    delivery.clock_due_at = None
    await session.flush()
    defer(session, DeliveriesDue())
    name = await session.scalar(select(Event.name).where(Event.id == delivery.event_id))
    return delivery, name or ""
