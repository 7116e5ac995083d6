"""A subscription deleted by another transaction while a request changes it, sends it a test or
redelivers one of its deliveries: the request waits for that transaction and then answers 404,
never a 500 for an update of nothing or a row that refers to what is gone (found by fuzzing on
PostgreSQL, where a PATCH read the row before a DELETE committed and updated nothing)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from aftercart.models import WebhookSubscription
from tests.webhooks.helpers import Sessions, deliveries

Ask = Callable[[httpx.AsyncClient, int, int, dict[str, str]], Awaitable[httpx.Response]]


async def _patch(http: httpx.AsyncClient, sub: int, _delivery: int, h: dict[str, str]) -> Any:
    return await http.patch(f"/v2/webhooks/{sub}", json={"active": 0}, headers=h)


async def _test(http: httpx.AsyncClient, sub: int, _delivery: int, h: dict[str, str]) -> Any:
    return await http.post(f"/v2/webhooks/{sub}/test", headers=h)


async def _redeliver(http: httpx.AsyncClient, sub: int, delivery: int, h: dict[str, str]) -> Any:
    return await http.post(f"/v2/webhooks/deliveries/{delivery}/redeliver", headers=h)


@pytest.mark.parametrize("ask", [_patch, _test, _redeliver], ids=["patch", "test", "redeliver"])
async def test_a_subscription_deleted_meanwhile_is_not_found(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions, ask: Ask
) -> None:
    created = await http.post(
        "/v2/webhooks", json={"url": "https://hooks.example.com/a"}, headers=client_headers
    )
    subscription = created.json()["id"]
    sent = await http.post(f"/v2/webhooks/{subscription}/test", headers=client_headers)
    assert sent.status_code == 202, sent.text
    delivery = (await deliveries(sessions))[-1].id

    async with sessions() as deleting:
        await deleting.execute(
            delete(WebhookSubscription).where(WebhookSubscription.id == subscription)
        )
        request = asyncio.create_task(ask(http, subscription, delivery, client_headers))
        await asyncio.sleep(0.3)  # the request now waits for this transaction
        assert not request.done()
        await deleting.commit()
    response = await asyncio.wait_for(request, timeout=10)

    assert response.status_code == 404, response.text
