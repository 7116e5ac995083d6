"""The delivery rows as a work queue: claim due ones under a lease, record what happened.

A claim sets ``locked_until`` (the lease) in a short transaction; on PostgreSQL the due rows are
picked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never take the same row, on SQLite
the immediate write transaction does the same. A worker that dies leaves its leases to expire,
and the rows become due again: a delivery can be sent twice, never lost. Outcomes are written
only where the lease is still the claimer's, so a late finisher cannot overwrite a newer claim.
"""

import json
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import is_postgres
from aftercart.events.envelope import envelope
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.oauth import OAuthSettings
from aftercart.events.webhooks.rules import Random, Verdict
from aftercart.events.webhooks.sender import Job, Result
from aftercart.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription

_deliveries = cast(Table, WebhookDelivery.__table__)


@dataclass(frozen=True)
class Claimed:
    jobs: list[Job]
    #: More rows may be due than were looked at (the limit was reached).
    more: bool
    #: Due rows were left because their subscription had no room.
    capped: bool


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    now: datetime,
    lease_until: datetime,
    room: Callable[[int], int] = lambda subscription_id: 1 << 30,
    full: Collection[int] = (),
) -> Claimed:
    """Leases up to ``limit`` due deliveries of active subscriptions, at most ``room(s)`` for
    subscription ``s``; those in ``full`` (no room left) are not even looked at."""
    active = select(WebhookSubscription.id).where(WebhookSubscription.active)
    due = (
        select(WebhookDelivery.id, WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == rules.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
            WebhookDelivery.subscription_id.in_(active),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if full:
        due = due.where(WebhookDelivery.subscription_id.not_in(full))
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = (await session.execute(due)).all()
    taken: Counter[int] = Counter()
    ids: list[int] = []
    for delivery_id, subscription_id in rows:
        if taken[subscription_id] < room(subscription_id):
            taken[subscription_id] += 1
            ids.append(delivery_id)
    await lease(session, ids, lease_until=lease_until)
    jobs = await load_jobs(session, ids, lease_until=lease_until)
    return Claimed(jobs, more=len(rows) == limit, capped=len(ids) < len(rows) or bool(full))


async def lease(session: AsyncSession, ids: Collection[int], *, lease_until: datetime) -> None:
    """Sets the lease on deliveries (row-locked or in SQLite's one write transaction).

    A crashed claimer's deliveries become due again when the lease ends (``next_attempt_at``
    moves with it, which also keeps the due-index scan short).
    """
    if not ids:
        return
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(locked_until=lease_until, next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    )


async def load_jobs(
    session: AsyncSession, ids: Sequence[int], *, lease_until: datetime | None
) -> list[Job]:
    if not ids:
        return []
    rows = await session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookDelivery.created_at,
            Event.id,
            Event.name,
            Event.created_at,
            Event.metadata_,
            WebhookSubscription,
        )
        .join(Event, Event.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.id.in_(ids))
    )
    bodies: dict[int, bytes] = {}
    jobs: list[Job] = []
    for delivery_id, attempts, first_at, event_id, name, created_at, metadata, sub in rows:
        if event_id not in bodies:
            body = envelope(event_id=event_id, name=name, created_at=created_at, metadata=metadata)
            bodies[event_id] = json.dumps(body, separators=(",", ":")).encode()
        jobs.append(
            Job(
                delivery_id=delivery_id,
                subscription_id=sub.id,
                url=sub.url,
                signing_secret=sub.signing_secret,
                oauth=oauth_of(sub),
                body=bodies[event_id],
                attempts=attempts,
                first_at=first_at,
                lease=lease_until,
            )
        )
    return jobs


def oauth_of(subscription: WebhookSubscription) -> OAuthSettings | None:
    if not (subscription.oauth_token_url and subscription.oauth_client_id):
        return None
    return OAuthSettings(
        token_url=subscription.oauth_token_url,
        client_id=subscription.oauth_client_id,
        client_secret=subscription.oauth_client_secret or "",
        scope=subscription.oauth_scope,
    )


def _error_of(result: Result) -> str | None:
    final = result.final
    if final.error:
        return final.error
    if final.status_code is not None and not 200 <= final.status_code < 300:
        return f"HTTP {final.status_code}"
    return None


def outcome(result: Result, *, now: datetime, rand: Random) -> dict[str, Any]:
    """The delivery row's new values after ``result`` (bind names for :func:`record`)."""
    attempts = result.job.attempts + len(result.attempts)
    status, next_at = rules.FAILED, now
    match rules.verdict(result.final.status_code):
        case Verdict.SUCCESS:
            status = rules.SUCCEEDED
        case Verdict.RETRY:
            retry_at = rules.next_attempt_at(
                failed_attempts=attempts, first_at=result.job.first_at, now=now, rand=rand
            )
            if retry_at is not None:
                status, next_at = rules.PENDING, retry_at
    return {
        "b_id": result.job.delivery_id,
        "b_lease": result.job.lease,
        "b_status": status,
        "b_attempts": attempts,
        "b_next": next_at,
        "b_error": _error_of(result),
    }


async def record(
    session: AsyncSession, results: Sequence[Result], *, now: datetime, rand: Random
) -> None:
    """Writes every attempt and each delivery's outcome; a 410 ends its subscription."""
    if not results:
        return
    await session.execute(
        insert(WebhookAttempt),
        [
            {
                "delivery_id": result.job.delivery_id,
                "started_at": attempt.started_at,
                "status_code": attempt.status_code,
                "latency_ms": attempt.latency_ms,
                "response_excerpt": attempt.response_excerpt,
                "error": attempt.error,
            }
            for result in results
            for attempt in result.attempts
        ],
    )
    owned = (
        update(_deliveries)
        .where(
            _deliveries.c.id == bindparam("b_id"),
            _deliveries.c.locked_until == bindparam("b_lease"),
        )
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            next_attempt_at=bindparam("b_next"),
            last_error=bindparam("b_error"),
            locked_until=None,
        )
    )
    await session.execute(owned, [outcome(r, now=now, rand=rand) for r in results])
    gone = {
        r.job.subscription_id for r in results if rules.verdict(r.final.status_code) is Verdict.GONE
    }
    if gone:
        await end_subscriptions(session, gone)


async def end_subscriptions(session: AsyncSession, subscription_ids: Collection[int]) -> None:
    """Deactivates subscriptions whose receiver is gone and fails what they were still owed."""
    await session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id.in_(subscription_ids))
        .values(active=False, disabled_reason=rules.GONE_REASON)
    )
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id.in_(subscription_ids),
            WebhookDelivery.status == rules.PENDING,
        )
        .values(
            status=rules.FAILED,
            locked_until=None,
            last_error=f"subscription disabled: {rules.GONE_REASON}",
        )
        .execution_options(synchronize_session=False)
    )
