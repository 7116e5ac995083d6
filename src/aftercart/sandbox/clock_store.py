"""A tenant's sandbox clock as stored: read, frozen, moved and let go.

The clock is a row of ``sandbox_clocks``, so every process sees the same time. Moving it is a
compare-and-set (``WHERE frozen_at = :was``): of two advances racing on one tenant, the one
that finds the clock moved under it stops, and no effect fires twice.
"""

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.types import utcnow
from aftercart.models import ApiClient, SandboxClock, WebhookDelivery, WebhookSubscription


async def frozen_at(session: AsyncSession, tenant_id: int) -> datetime | None:
    """The tenant's frozen time, or ``None`` when it runs on the wall clock."""
    return await session.scalar(
        select(SandboxClock.frozen_at).where(SandboxClock.tenant_id == tenant_id)
    )


async def freeze(session: AsyncSession, tenant_id: int, moment: datetime) -> None:
    """Freezes a clock that runs on the wall clock at ``moment``."""
    session.add(SandboxClock(tenant_id=tenant_id, frozen_at=moment))
    await session.flush()


async def move(session: AsyncSession, tenant_id: int, *, was: datetime, to: datetime) -> bool:
    """Moves the frozen clock from ``was`` to ``to``; ``False`` when it no longer reads ``was``
    (another advance moved it, or it was let go)."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(SandboxClock)
        .where(SandboxClock.tenant_id == tenant_id, SandboxClock.frozen_at == was)
        .values(frozen_at=to)
    )
    return result.rowcount == 1


def tenants_deliveries(tenant_id: int) -> Select[int]:
    """The ids of the deliveries owed to the subscriptions of the tenant's clients."""
    return (
        select(WebhookDelivery.id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(ApiClient, ApiClient.client_id == WebhookSubscription.client_id)
        .where(ApiClient.tenant_id == tenant_id)
    )


async def let_go(session: AsyncSession, tenant_id: int) -> bool:
    """Puts the tenant back on the wall clock; returns whether it was frozen. Retries that
    waited on the clock wait on the wall for what they still had to wait."""
    was = await frozen_at(session, tenant_id)
    if was is None:
        return False
    await session.execute(delete(SandboxClock).where(SandboxClock.tenant_id == tenant_id))
    parked = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.clock_due_at).where(
            WebhookDelivery.id.in_(tenants_deliveries(tenant_id)),
            WebhookDelivery.clock_due_at.is_not(None),
        )
    )
    wall = utcnow()
    for delivery_id, due in parked.all():
        wait = max(due - was, timedelta(0)) if due is not None else timedelta(0)
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(clock_due_at=None, next_attempt_at=wall + wait)
        )
    return True
