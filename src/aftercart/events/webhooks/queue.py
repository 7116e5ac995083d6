"""The delivery rows as a work queue: claim due ones under a lease, record what happened.

A claim sets ``locked_until`` (the lease) in a short transaction; on PostgreSQL the due rows are
picked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never take the same row, on SQLite
the immediate write transaction does the same. A worker that dies leaves its leases to expire,
and the rows become due again: a delivery can be sent twice, never lost. Outcomes are written
only where the lease is still the claimer's, so a late finisher cannot overwrite a newer claim.

The statements are Core, built once, and run on the session's connection: a worker turn runs
them for dozens of deliveries at a time, and ORM entities and statement building used to cost
more than the database did.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    Update,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import is_postgres
from aftercart.events.envelope import envelope
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.oauth import OAuthSettings
from aftercart.events.webhooks.rules import Random, Verdict
from aftercart.events.webhooks.sender import Job, Result
from aftercart.models import (
    ApiClient,
    Event,
    SandboxClock,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

_deliveries = cast(Table, WebhookDelivery.__table__)
_attempts = cast(Table, WebhookAttempt.__table__)
_events = cast(Table, Event.__table__)
_subscriptions = cast(Table, WebhookSubscription.__table__)
_d, _e, _s = _deliveries.c, _events.c, _subscriptions.c


def _among(column: ColumnElement[int], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name``. On PostgreSQL they go as one array: the
    statement's text, and so the one asyncpg has prepared, stays the same whatever their number
    (an expanding ``IN``, as on SQLite, renders and binds every id anew)."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))


@cache
def _lease(*, postgres: bool) -> Update:
    return (
        update(_deliveries)
        .where(_among(_d.id, "ids", postgres=postgres))
        .values(locked_until=bindparam("lease_until"), next_attempt_at=bindparam("lease_until"))
    )


@cache
def _jobs(*, postgres: bool) -> Select[Any]:
    return (
        select(
            _d.id,
            _d.attempts,
            _d.created_at,
            _e.id,
            _e.name,
            _e.created_at,
            _e.metadata,
            _s.id,
            _s.url,
            _s.signing_secret,
            _s.oauth_token_url,
            _s.oauth_client_id,
            _s.oauth_client_secret,
            _s.oauth_scope,
        )
        .join_from(_deliveries, _events, _e.id == _d.event_id)
        .join(_subscriptions, _s.id == _d.subscription_id)
        .where(_among(_d.id, "ids", postgres=postgres))
    )


_ATTEMPT = insert(_attempts)
_OUTCOME_VALUES: dict[str, Any] = {
    "status": bindparam("b_status"),
    "attempts": bindparam("b_attempts"),
    "next_attempt_at": bindparam("b_next"),
    "last_error": bindparam("b_error"),
    "locked_until": None,
    "clock_due_at": bindparam("b_clock_due"),
}
_OUTCOME = (
    update(_deliveries)
    .where(_d.id == bindparam("b_id"), _d.locked_until == bindparam("b_lease"))
    .values(_OUTCOME_VALUES)
)


@cache
def _shared_outcome(*, postgres: bool) -> Update:
    return (
        update(_deliveries)
        .where(_among(_d.id, "b_ids", postgres=postgres), _d.locked_until == bindparam("b_lease"))
        .values(_OUTCOME_VALUES)
    )


#: From this many deliveries with one outcome, one statement updates them all (see ``record``).
SHARED_OUTCOME_MIN = 4


@cache
def _due(*, postgres: bool, skip_full: bool) -> Select[int, int, int]:
    """Due rows in order, each with the number of active subscriptions not known to be full."""
    active = select(_s.id).where(_s.active)
    if skip_full:
        active = active.where(_s.id.not_in(bindparam("full", expanding=True)))
    others = select(func.count()).select_from(active.subquery()).scalar_subquery()
    due = (
        select(_d.id, _d.subscription_id, others)
        .where(
            _d.status == rules.PENDING,
            _d.next_attempt_at <= bindparam("now"),
            or_(_d.locked_until.is_(None), _d.locked_until <= bindparam("now")),
            _d.subscription_id.in_(active),
        )
        .order_by(_d.next_attempt_at, _d.id)
        .limit(bindparam("limit"))
    )
    if postgres:
        due = due.with_for_update(skip_locked=True, of=_deliveries)
    return due


@dataclass(frozen=True)
class Claimed:
    jobs: list[Job]
    #: Claiming again at once may find more (the limit cut the look short).
    more: bool


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
    subscription ``s``; those in ``full`` (no room left) are not even looked at.

    When rows had to be left for want of room and the limit cut the look short, it looks again
    past the subscriptions that just filled up, so that their backlog hides no one else's."""
    connection = await session.connection()
    postgres = is_postgres(session)
    full = set(full)
    taken: Counter[int] = Counter()
    ids: list[int] = []
    while True:
        params: dict[str, Any] = {"now": now, "limit": limit - len(ids)}
        if full:
            params["full"] = list(full)
        due = _due(postgres=postgres, skip_full=bool(full))
        rows = (await connection.execute(due, params)).all()
        fresh: list[int] = []
        for delivery_id, subscription_id, _ in rows:
            if taken[subscription_id] < room(subscription_id):
                taken[subscription_id] += 1
                fresh.append(delivery_id)
        await lease(session, fresh, lease_until=lease_until)
        ids += fresh
        more = len(rows) == params["limit"]
        filled = {s for _, s, _ in rows if taken[s] >= room(s)} - full
        if not (more and filled and len(ids) < limit):
            break
        # Looking past full subscriptions scans their whole backlog: only if anyone else is left.
        not_full = rows[0][2]
        if not_full <= len(filled):
            more = False
            break
        full |= filled
    return Claimed(await load_jobs(session, ids, lease_until=lease_until), more=more)


async def depth(session: AsyncSession) -> int:
    """Deliveries still owed: due now, leased, or waiting for a retry (read by ``/metrics``)."""
    statement = select(func.count()).select_from(_deliveries).where(_d.status == rules.PENDING)
    return (await session.scalar(statement)) or 0


async def lease(session: AsyncSession, ids: Collection[int], *, lease_until: datetime) -> None:
    """Sets the lease on deliveries (row-locked or in SQLite's one write transaction).

    A crashed claimer's deliveries become due again when the lease ends (``next_attempt_at``
    moves with it, which also keeps the due-index scan short).
    """
    if not ids:
        return
    connection = await session.connection()
    statement = _lease(postgres=is_postgres(session))
    await connection.execute(statement, {"ids": list(ids), "lease_until": lease_until})


async def load_jobs(
    session: AsyncSession, ids: Sequence[int], *, lease_until: datetime | None
) -> list[Job]:
    if not ids:
        return []
    connection = await session.connection()
    rows = await connection.execute(_jobs(postgres=is_postgres(session)), {"ids": list(ids)})
    bodies: dict[int, bytes] = {}
    jobs: list[Job] = []
    for (
        delivery_id,
        attempts,
        first_at,
        event_id,
        name,
        created_at,
        metadata,
        subscription_id,
        url,
        secret,
        *oauth,
    ) in rows:
        if event_id not in bodies:
            body = envelope(event_id=event_id, name=name, created_at=created_at, metadata=metadata)
            bodies[event_id] = json.dumps(body, separators=(",", ":")).encode()
        jobs.append(
            Job(
                delivery_id=delivery_id,
                subscription_id=subscription_id,
                url=url,
                signing_secret=secret,
                oauth=oauth_of(*oauth),
                body=bodies[event_id],
                attempts=attempts,
                first_at=first_at,
                lease=lease_until,
                event_at=created_at,
            )
        )
    return jobs


def oauth_of(
    token_url: str | None, client_id: str | None, client_secret: str | None, scope: str | None
) -> OAuthSettings | None:
    if not (token_url and client_id):
        return None
    return OAuthSettings(
        token_url=token_url, client_id=client_id, client_secret=client_secret or "", scope=scope
    )


def _error_of(result: Result) -> str | None:
    final = result.final
    if final.error:
        return final.error
    if final.status_code is not None and not 200 <= final.status_code < 300:
        return f"HTTP {final.status_code}"
    return None


class Outcome(NamedTuple):
    """A delivery's new state after an attempt, for as long as its lease is ``lease``."""

    lease: datetime | None
    status: str
    attempts: int
    next_at: datetime
    error: str | None
    clock_due: datetime | None = None

    def binds(self) -> dict[str, Any]:
        return {
            "b_lease": self.lease,
            "b_status": self.status,
            "b_attempts": self.attempts,
            "b_next": self.next_at,
            "b_error": self.error,
            "b_clock_due": self.clock_due,
        }


def outcome(
    result: Result, *, now: datetime, rand: Random, frozen_at: datetime | None = None
) -> Outcome:
    """The delivery's state after ``result``. A retry of a tenant whose sandbox clock is
    frozen (``frozen_at``) is scheduled on that clock, its window counted from its event, and
    waits for it (:data:`rules.PARKED` on the wall)."""
    attempts = result.job.attempts + len(result.attempts)
    status, next_at = rules.FAILED, now
    clock_due: datetime | None = None
    match rules.verdict(result.final.status_code):
        case Verdict.SUCCESS:
            status = rules.SUCCEEDED
        case Verdict.RETRY if frozen_at is not None:
            retry_at = rules.next_attempt_at(
                failed_attempts=attempts,
                first_at=result.job.event_at or result.job.first_at,
                now=frozen_at,
                rand=rand,
            )
            if retry_at is not None:
                status, next_at, clock_due = rules.PENDING, rules.PARKED, retry_at
        case Verdict.RETRY:
            retry_at = rules.next_attempt_at(
                failed_attempts=attempts, first_at=result.job.first_at, now=now, rand=rand
            )
            if retry_at is not None:
                status, next_at = rules.PENDING, retry_at
    return Outcome(result.job.lease, status, attempts, next_at, _error_of(result), clock_due)


async def _frozen_clocks(session: AsyncSession, results: Sequence[Result]) -> dict[int, datetime]:
    """The frozen sandbox time of each retried delivery's subscription whose tenant has one.
    Asked only when some delivery is to be retried, so a worker's successes cost nothing."""
    retried = {
        r.job.subscription_id
        for r in results
        if rules.verdict(r.final.status_code) is Verdict.RETRY
    }
    if not retried:
        return {}
    rows = await session.execute(
        select(_s.id, SandboxClock.frozen_at)
        .join(ApiClient, ApiClient.client_id == _s.client_id)
        .join(SandboxClock, SandboxClock.tenant_id == ApiClient.tenant_id)
        .where(_s.id.in_(retried))
    )
    return {subscription_id: moment for subscription_id, moment in rows.all()}


async def record(
    session: AsyncSession, results: Sequence[Result], *, now: datetime, rand: Random
) -> None:
    """Writes every attempt and each delivery's outcome; a 410 ends its subscription.

    Deliveries that share an outcome and a lease (a claim's successes, mostly) are updated by
    one statement; the others, retries with their jittered times, by one ``executemany``."""
    if not results:
        return
    connection = await session.connection()
    await connection.execute(
        _ATTEMPT,
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
    frozen = await _frozen_clocks(session, results)
    sharing: defaultdict[Outcome, list[int]] = defaultdict(list)
    for result in results:
        frozen_at = frozen.get(result.job.subscription_id)
        new_state = outcome(result, now=now, rand=rand, frozen_at=frozen_at)
        sharing[new_state].append(result.job.delivery_id)
    alone: list[dict[str, Any]] = []
    shared_outcome = _shared_outcome(postgres=is_postgres(session))
    for shared, ids in sharing.items():
        if len(ids) >= SHARED_OUTCOME_MIN:
            await connection.execute(shared_outcome, {**shared.binds(), "b_ids": ids})
        else:
            alone += ({**shared.binds(), "b_id": delivery_id} for delivery_id in ids)
    if alone:
        await connection.execute(_OUTCOME, alone)
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
