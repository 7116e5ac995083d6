"""Two real ``aftercart serve`` processes on one PostgreSQL database behave as one service."""

import time
from pathlib import Path

import httpx
import pytest

from aftercart.events import names
from tests import factories
from tests.conftest import POSTGRES_URL, requires_postgres
from tests.stream.helpers import Reader
from tests.stream.processes import arrange_order, fresh_database, two_servers

BUDGET_SECONDS = 2.0

pytestmark = [requires_postgres, pytest.mark.slow]


async def test_a_change_through_one_process_reaches_a_stream_on_another(
    tmp_path: Path,
) -> None:
    assert POSTGRES_URL
    async with fresh_database(POSTGRES_URL) as database_url:
        creds, user_id, order_id = await arrange_order(database_url)
        # The fallback table check slowed to a minute: only LISTEN/NOTIFY meets the budget.
        async with two_servers(database_url, tmp_path, stream_poll_seconds="60") as (a, b):
            headers = factories.bearer(await factories.user_token(a, creds, user_id))
            await _prove_live_and_resume(a, b, headers, order_id)


async def _prove_live_and_resume(
    a: httpx.AsyncClient, b: httpx.AsyncClient, headers: dict[str, str], order_id: str
) -> None:
    stream_path = f"/v2/post_checkout/orders/{order_id}/events"

    async def post(body: str) -> None:
        response = await a.post(
            f"/v2/post_checkout/chat/{order_id}/messages", json={"body": body}, headers=headers
        )
        assert response.status_code == 200, response.text

    async with b.stream("GET", stream_path, headers=headers) as response:
        assert response.status_code == 200
        stream = Reader(response)
        await stream.opened()
        started = time.monotonic()
        await post("one")
        first = await stream.event(timeout=BUDGET_SECONDS)
        took = time.monotonic() - started
    assert first.event == names.CHAT_MESSAGE
    assert first.json()["event_metadata"]["message"]["body"] == "one"
    assert took < BUDGET_SECONDS

    await post("two")
    await post("three")
    resume = {**headers, "Last-Event-ID": str(first.id)}
    async with b.stream("GET", stream_path, headers=resume) as response:
        stream = Reader(response)
        backlog = [await stream.event(), await stream.event()]
        await post("four")
        live = await stream.event(timeout=BUDGET_SECONDS)
    bodies = [m.json()["event_metadata"]["message"]["body"] for m in [*backlog, live]]
    assert bodies == ["two", "three", "four"]
    ids = [int(first.id or 0)] + [int(m.id or 0) for m in [*backlog, live]]
    assert ids == sorted(set(ids))
