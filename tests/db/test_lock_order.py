"""A request that locks a row and then records an event, while an event writer that holds the
events lock writes a row referring to the same one: both finish.

Rows that deliveries refer to (webhook subscriptions) are locked ``FOR NO KEY UPDATE``. ``FOR
UPDATE`` also blocks the foreign-key check (``FOR KEY SHARE``) of the writer's insert, while the
request waits for the events lock: PostgreSQL broke that deadlock with a 500 (found by fuzzing,
on a webhook test event). Events carry no foreign key, and every other row that refers to an
order is written before the events lock is taken, so locking orders ``FOR UPDATE`` cannot
close such a cycle."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import serialize_event_writers
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.models.tenant import DEFAULT_TENANT
from tests.conftest import requires_postgres
from tests.webhooks.helpers import Sessions

pytestmark = requires_postgres


async def _while_an_event_writer_waits(
    sessions: Sessions,
    ask: Awaitable[httpx.Response],
    write: Callable[[AsyncSession], Awaitable[object]],
) -> httpx.Response:
    """Holds the events lock, lets ``ask`` take its row lock, then ``write``s and commits."""
    async with sessions() as writer:
        await serialize_event_writers(writer)
        request = asyncio.create_task(ask)
        await asyncio.sleep(0.3)
        await asyncio.wait_for(write(writer), timeout=10)
        await writer.commit()
    return await asyncio.wait_for(request, timeout=10)


async def test_a_webhook_test_event(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    created = await http.post(
        "/v2/webhooks", json={"url": "https://hooks.example.com/a"}, headers=client_headers
    )
    subscription = created.json()["id"]

    response = await _while_an_event_writer_waits(
        sessions,
        http.post(f"/v2/webhooks/{subscription}/test", headers=client_headers),
        lambda writer: record_event(
            writer, names.WEBHOOK_TEST, only_subscription=subscription, tenant_id=DEFAULT_TENANT
        ),
    )

    assert response.status_code == 202, response.text
