"""The request monitor's storage: recording captured requests and keeping the last few per
client, and the lists the API and the dashboard read (a client's own requests and webhook
attempts, newest first, paged as the sandbox's other lists). No HTTP here."""

from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from aftercart.errors import InvalidParameter
from aftercart.events.webhooks.rules import message_id
from aftercart.models import (
    ApiClient,
    Event,
    MonitoredRequest,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from aftercart.sandbox import listing_rules
from aftercart.sandbox.monitor_rules import Entry, mask_url
from aftercart.sandbox.monitor_schemas import (
    MonitoredAttempt,
    MonitoredAttemptList,
    MonitoredRequestList,
    MonitoredRequestOut,
)
from aftercart.sandbox.schemas import PageParams

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])

REQUESTS, ATTEMPTS = "monitored_requests", "webhook_attempts"


# --- Recording ------------------------------------------------------------------------------------


async def store(
    session: AsyncSession, entries: Sequence[Entry], *, unverified: Collection[str] = ()
) -> set[str]:
    """Inserts the entries; returns the clients they belong to. An entry of a client in
    ``unverified`` (named by a token request, not proven by a token) is kept only if that
    client exists, so that made-up names cannot fill the table."""
    unknown: set[str] = set()
    if unverified:
        known = await session.scalars(
            select(ApiClient.client_id).where(ApiClient.client_id.in_(set(unverified)))
        )
        unknown = set(unverified) - set(known)
    rows = [asdict(entry) for entry in entries if entry.client_id not in unknown]
    if rows:
        await session.execute(insert(MonitoredRequest), rows)
    return {row["client_id"] for row in rows}


async def prune(session: AsyncSession, *, client_id: str, keep: int) -> None:
    """Deletes all but the client's ``keep`` newest requests."""
    oldest_kept = (
        select(MonitoredRequest.id)
        .where(MonitoredRequest.client_id == client_id)
        .order_by(MonitoredRequest.id.desc())
        .offset(keep - 1)
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        delete(MonitoredRequest)
        .where(MonitoredRequest.client_id == client_id, MonitoredRequest.id < oldest_kept)
        .execution_options(synchronize_session=False)
    )


# --- Reading --------------------------------------------------------------------------------------


def _after(statement: Query, key: Any, kind: str, cursor: str | None) -> Query:
    """Rows after the cursor, newest (highest id) first; a cursor not of this list is 400."""
    if cursor is not None:
        try:
            statement = statement.where(key < listing_rules.decode_cursor(kind, cursor))
        except ValueError as exc:
            raise InvalidParameter(str(exc), key="cursor") from exc
    return statement.order_by(key.desc())


async def list_requests(
    session: AsyncSession, *, client_id: str, params: PageParams
) -> MonitoredRequestList:
    statement = _after(
        select(MonitoredRequest).where(MonitoredRequest.client_id == client_id),
        MonitoredRequest.id,
        REQUESTS,
        params.cursor,
    )
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page, cursor = listing_rules.page_of(
        rows, limit=params.limit, kind=REQUESTS, row_id=lambda row: row.id
    )
    return MonitoredRequestList(
        requests=[MonitoredRequestOut.model_validate(row) for row in page], next_cursor=cursor
    )


async def list_attempts(
    session: AsyncSession, *, client_id: str, params: PageParams
) -> MonitoredAttemptList:
    """Every attempt to deliver a webhook to one of the client's subscriptions, with its number
    among its delivery's attempts."""
    earlier = aliased(WebhookAttempt)
    number = (
        select(func.count())
        .where(earlier.delivery_id == WebhookAttempt.delivery_id, earlier.id <= WebhookAttempt.id)
        .correlate(WebhookAttempt)
        .scalar_subquery()
    )
    statement = _after(
        select(
            WebhookAttempt,
            number,
            WebhookDelivery.subscription_id,
            WebhookSubscription.url,
            Event.name,
        )
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookSubscription.client_id == client_id),
        WebhookAttempt.id,
        ATTEMPTS,
        params.cursor,
    )
    rows = (await session.execute(statement.limit(params.limit + 1))).all()
    page, cursor = listing_rules.page_of(
        rows, limit=params.limit, kind=ATTEMPTS, row_id=lambda row: row[0].id
    )
    return MonitoredAttemptList(
        webhook_attempts=[
            MonitoredAttempt(
                delivery_id=attempt.delivery_id,
                webhook_id=message_id(attempt.delivery_id),
                subscription_id=subscription_id,
                url=mask_url(url),
                event_name=event_name,
                attempt=attempt_number,
                started_at=attempt.started_at,
                status_code=attempt.status_code,
                duration_ms=attempt.latency_ms,
                error=attempt.error,
                response_excerpt=attempt.response_excerpt,
            )
            for attempt, attempt_number, subscription_id, url, event_name in page
        ],
        next_cursor=cursor,
    )
