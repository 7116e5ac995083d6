"""The delivery log is pruned: finished deliveries past the retention go, with their attempts;
pending ones and recent ones stay."""

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events.webhooks import retention
from aftercart.models import Event, WebhookAttempt, WebhookDelivery
from tests.cli.helpers import cli
from tests.webhooks.helpers import Sessions, subscribe

OLD = timedelta(days=40)
RECENT = timedelta(days=2)


async def _log(sessions: Sessions, client_id: str) -> dict[str, int]:
    """Deliveries with one attempt each, named by what should happen to them."""
    subscription = await subscribe(sessions, client_id)
    plan = {
        "old succeeded 1": ("succeeded", OLD),
        "old succeeded 2": ("succeeded", OLD),
        "old failed 1": ("failed", OLD),
        "old failed 2": ("failed", OLD),
        "old failed 3": ("failed", OLD),
        "old pending": ("pending", OLD),
        "recent succeeded": ("succeeded", RECENT),
        "recent failed": ("failed", RECENT),
    }
    ids: dict[str, int] = {}
    async with sessions() as session:
        for name, (status, age) in plan.items():
            event = Event(tenant_id=1, name="webhook.test", metadata_={"message": name})
            session.add(event)
            await session.flush()
            when = utcnow() - age
            delivery = WebhookDelivery(
                subscription_id=subscription.id,
                event_id=event.id,
                status=status,
                created_at=when,
                updated_at=when,
            )
            session.add(delivery)
            await session.flush()
            session.add(WebhookAttempt(delivery_id=delivery.id, started_at=when, status_code=200))
            ids[name] = delivery.id
        await session.commit()
    return ids


async def _remaining(sessions: Sessions) -> tuple[set[int], int]:
    async with sessions() as session:
        deliveries = set(await session.scalars(select(WebhookDelivery.id)))
        attempts = await session.scalar(select(func.count()).select_from(WebhookAttempt))
    return deliveries, attempts or 0


def _kept(ids: dict[str, int]) -> set[int]:
    return {ids["old pending"], ids["recent succeeded"], ids["recent failed"]}


async def test_prune_deletes_old_finished_deliveries_in_batches(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    ids = await _log(sessions, creds.client_id)
    deleted = await retention.prune(sessions, before=retention.cutoff(30), limit=2)
    assert deleted == 5
    deliveries, attempts = await _remaining(sessions)
    assert deliveries == _kept(ids)
    assert attempts == 3  # the attempts of deleted deliveries went with them


async def test_the_worker_side_loop_prunes_at_start_unless_retention_is_zero(
    sessions: Sessions, settings: Settings, creds: IssuedCredentials
) -> None:
    ids = await _log(sessions, creds.client_id)
    stop = asyncio.Event()
    await retention.keep_pruning(sessions, replace_days(settings, 0), stop)
    assert (await _remaining(sessions))[0] == set(ids.values())

    task = asyncio.create_task(retention.keep_pruning(sessions, replace_days(settings, 30), stop))
    try:
        async with asyncio.timeout(10):
            while (await _remaining(sessions))[0] != _kept(ids):
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def test_cli_prune(sessions: Sessions, settings: Settings, creds: IssuedCredentials) -> None:
    ids = await _log(sessions, creds.client_id)
    db = settings.database_url
    kept_all = await cli(db, "webhooks", "prune", "--older-than-days", "60", "--json")
    assert kept_all.exit_code == 0, kept_all.output
    assert json.loads(kept_all.stdout) == {"deleted": 0}
    pruned = await cli(db, "webhooks", "prune", "--older-than-days", "30")
    assert pruned.exit_code == 0, pruned.output
    assert "5 finished deliveries older than 30 days deleted" in pruned.stdout
    assert (await _remaining(sessions))[0] == _kept(ids)


def replace_days(settings: Settings, days: int) -> Settings:
    return settings.model_copy(update={"webhook_retention_days": days})
