"""A bounded delivery log: finished deliveries older than ``AFTERCART_WEBHOOK_RETENTION_DAYS`` are
deleted with their attempts. Pending deliveries are never deleted, whatever their age."""

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.models import WebhookDelivery

log = logging.getLogger(__name__)

PRUNE_BATCH = 1000
PRUNE_INTERVAL_SECONDS = 3600.0
FINISHED = ("succeeded", "failed")


async def prune_batch(session: AsyncSession, *, before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Deletes up to ``limit`` deliveries finished before ``before``; their attempts go with
    them (``ON DELETE CASCADE``). Returns how many were deleted."""
    doomed = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status.in_(FINISHED), WebhookDelivery.updated_at < before)
        .limit(limit)
    )
    result = await session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.id.in_(doomed.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
    deleted: int = result.rowcount  # type: ignore[attr-defined]
    return deleted


async def prune(
    sessions: async_sessionmaker[AsyncSession], *, before: datetime, limit: int = PRUNE_BATCH
) -> int:
    """Deletes every delivery finished before ``before``, one short transaction per batch so
    that writers are never held up for long."""
    total = 0
    while True:
        async with sessions() as session:
            deleted = await prune_batch(session, before=before, limit=limit)
            await session.commit()
        total += deleted
        if deleted < limit:
            return total


def cutoff(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


async def keep_pruning(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    """Prunes at start and then hourly until ``stop``; runs beside every delivery worker (the
    deletes of several workers do not conflict). Does nothing when the retention is 0."""
    if settings.webhook_retention_days <= 0:
        return
    while not stop.is_set():
        try:
            deleted = await prune(sessions, before=cutoff(settings.webhook_retention_days))
            if deleted:
                log.info("pruned %d finished webhook deliveries", deleted)
        except Exception:
            log.exception("pruning the webhook delivery log failed; retrying in an hour")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PRUNE_INTERVAL_SECONDS):
                await stop.wait()
