"""A client that stops reading, over real sockets: it is dropped without slowing the others, and
it resumes with ``Last-Event-ID`` without losing an event."""

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings
from aftercart.events.stream.broker import Broker
from tests.stream.helpers import BLOB, WAIT, Reader, Shop, record, served, stalled_client

Sessions = async_sessionmaker[AsyncSession]

MAX_PENDING = 4
BLOBS = 12
#: How late an event may reach a stream that reads, while another one is stuck.
PROMPT_SECONDS = 1.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"stream_max_pending": MAX_PENDING})


async def test_a_stuck_stream_does_not_delay_the_others(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    broker: Broker = app.state.broker
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", shop.path, headers=shop.headers) as response,
        stalled_client(url, shop),
    ):
        reader = Reader(response)
        await reader.opened()
        for _ in range(BLOBS):  # read one by one, so that this stream never falls behind
            blob_id = await record(sessions, shop.order, blob=BLOB)
            assert (await reader.event()).id == str(blob_id)
        delays = []
        for n in range(2 * MAX_PENDING):
            committed = time.monotonic()
            event_id = await record(sessions, shop.order, n=n)
            assert (await reader.event()).id == str(event_id)
            delays.append(time.monotonic() - committed)

        assert max(delays) < PROMPT_SECONDS
        assert broker.subscriber_count(shop.order.id) == 1  # the stuck one was dropped


async def test_a_dropped_stream_resumes_with_last_event_id_and_loses_nothing(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    broker: Broker = app.state.broker
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        async with stalled_client(url, shop) as stalled:
            committed = [await record(sessions, shop.order, blob=BLOB) for _ in range(BLOBS)]
            n = 0
            async with asyncio.timeout(WAIT):
                while broker.subscriber_count(shop.order.id):
                    committed.append(await record(sessions, shop.order, n=n))
                    n += 1
                    await asyncio.sleep(0.01)
            committed.append(await record(sessions, shop.order, n="after the drop"))
            # Reading again, it gets what was sent before the drop, then the end of the body.
            first = await stalled.read_to_end_of_body()

        assert first == committed[: len(first)]
        resume = {**shop.headers, "Last-Event-ID": str(first[-1])}
        async with client.stream("GET", shop.path, headers=resume) as response:
            reader = Reader(response)
            rest = [int((await reader.event()).id or 0) for _ in committed[len(first) :]]

    assert first + rest == committed
