"""What the dashboard reads, through the same queries and services as the API: the feedback
summary and list, the webhook subscriptions and delivery log, the client's orders, and the
request monitor."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import InvalidParameter
from aftercart.events.webhooks import service as webhooks
from aftercart.events.webhooks.schemas import AttemptOut, DeliveryOut, SubscriptionOut
from aftercart.feedback import queries
from aftercart.feedback.schemas import ListParams, RatingFilters, RatingPage, Summary
from aftercart.models import Order, Shopper, Store, WebhookAttempt
from aftercart.sandbox import monitor
from aftercart.sandbox.monitor_schemas import MonitoredAttempt, MonitoredRequestOut
from aftercart.sandbox.schemas import PageParams
from aftercart.web.dashboard import rules

COMMENTS_PAGE_SIZE = 20
RECENT_DELIVERIES = 10
MAX_ORDERS = 200
MONITOR_ROWS = 50


@dataclass(frozen=True)
class Day:
    day: date
    count: int
    average: float | None


@dataclass(frozen=True)
class RatingsView:
    summary: Summary
    days: list[Day]
    page: RatingPage
    store_names: dict[str, str]
    shopper_names: dict[int, str]


def rating_filters(filters: rules.Filters) -> RatingFilters:
    return RatingFilters(
        source=filters.source or None,
        store=filters.store or None,
        shopper_id=filters.shopper_id,
        since=filters.since,
        until=filters.until,
    )


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def ratings_per_day(session: AsyncSession, filters: RatingFilters) -> list[Day]:
    """The summary's figures grouped by UTC day, by the feedback queries' own grouping (the
    database aggregates; no rating row is loaded)."""
    grouped = await queries.figures_per_day(session, filters=filters)
    return [
        Day(_as_date(key), figures["count"], figures["average"])
        for key, figures in grouped
        if key is not None
    ]


async def _names(
    session: AsyncSession, stores: Iterable[str | None], shoppers: Iterable[int | None]
) -> tuple[dict[str, str], dict[int, str]]:
    codes = [code for code in stores if code]
    ids = [shopper for shopper in shoppers if shopper is not None]
    store_names: dict[str, str] = {}
    shopper_names: dict[int, str] = {}
    if codes:
        found = await session.execute(
            select(Store.location_code, Store.name).where(Store.location_code.in_(codes))
        )
        store_names = {code: name for code, name in found.all()}
    if ids:
        named = await session.execute(
            select(Shopper.id, Shopper.first_name).where(Shopper.id.in_(ids))
        )
        shopper_names = {shopper: name for shopper, name in named.all()}
    return store_names, shopper_names


async def read_ratings(
    session: AsyncSession, filters: rules.Filters, *, cursor: str | None
) -> RatingsView:
    wanted = rating_filters(filters)
    summary = await queries.summarize(session, filters=wanted)
    days = await ratings_per_day(session, wanted)
    params = ListParams(**wanted.model_dump(), limit=COMMENTS_PAGE_SIZE, cursor=cursor or None)
    try:
        page = await queries.list_ratings(session, params=params)
    except InvalidParameter:
        # A cursor that is not ours (an edited link): the first page.
        page = await queries.list_ratings(
            session, params=params.model_copy(update={"cursor": None})
        )
    store_names, shopper_names = await _names(
        session,
        [s.store for s in summary.by_store] + [r.store for r in page.ratings],
        [s.shopper_id for s in summary.by_shopper] + [r.shopper_id for r in page.ratings],
    )
    return RatingsView(summary, days, page, store_names, shopper_names)


@dataclass(frozen=True)
class DeliveryRow:
    delivery: DeliveryOut
    attempts: list[AttemptOut]


@dataclass(frozen=True)
class SubscriptionRow:
    subscription: SubscriptionOut
    deliveries: list[DeliveryRow]


async def read_webhooks(session: AsyncSession, *, client_id: str) -> list[SubscriptionRow]:
    """The client's subscriptions, each with its latest deliveries and their attempts."""
    rows: list[SubscriptionRow] = []
    for subscription in await webhooks.list_subscriptions(session, client_id=client_id):
        deliveries = await webhooks.list_deliveries(
            session, subscription_id=subscription.id, client_id=client_id, limit=RECENT_DELIVERIES
        )
        attempts: dict[int, list[AttemptOut]] = {delivery.id: [] for delivery, _ in deliveries}
        if attempts:
            found = await session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_(list(attempts)))
                .order_by(WebhookAttempt.id)
            )
            for attempt in found:
                attempts[attempt.delivery_id].append(AttemptOut.of(attempt))
        rows.append(
            SubscriptionRow(
                SubscriptionOut.of(subscription),
                [DeliveryRow(DeliveryOut.of(d, name), attempts[d.id]) for d, name in deliveries],
            )
        )
    return rows


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    service_type: str
    workflow_state: str
    store: str
    shopper: str | None
    window_starts_at: datetime | None


async def orders_in_flight(session: AsyncSession) -> list[OrderRow]:
    """The tenant's orders (the session serves the signed-in client's tenant) that are neither
    delivered nor canceled, soonest window first."""
    found = await session.execute(
        select(
            Order.order_id,
            Order.service_type,
            Order.workflow_state,
            Store.name,
            Shopper.first_name,
            Order.window_starts_at,
        )
        .join(Store, Store.location_code == Order.location_code)
        .outerjoin(Shopper, Shopper.id == Order.shopper_id)
        .where(Order.workflow_state.not_in(rules.FINISHED_STATES))
        .order_by(Order.window_starts_at.asc().nulls_last(), Order.id)
        .limit(MAX_ORDERS)
    )
    return [OrderRow(*row) for row in found.all()]


@dataclass(frozen=True)
class MonitorView:
    requests: list[MonitoredRequestOut]
    attempts: list[MonitoredAttempt]


async def read_monitor(session: AsyncSession, *, client_id: str) -> MonitorView:
    """The client's last requests and webhook attempts, as the monitor's API lists them."""
    params = PageParams(limit=MONITOR_ROWS)
    requests = await monitor.list_requests(session, client_id=client_id, params=params)
    attempts = await monitor.list_attempts(session, client_id=client_id, params=params)
    return MonitorView(requests.requests, attempts.webhook_attempts)
