"""The live order stream over a real socket: live delivery, resume, keep-alive, the fallback,
and dropping a client that stops reading."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.stream import router
from aftercart.events.stream.broker import Broker
from aftercart.models import Event
from tests.stream.helpers import (
    BLOB,
    WAIT,
    Reader,
    Shop,
    record,
    served,
    stalled_client,
    watching,
)

Sessions = async_sessionmaker[AsyncSession]


async def test_the_response_is_an_unbuffered_uncached_event_stream(
    app: FastAPI, shop: Shop
) -> None:
    async with (
        served(app) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", shop.path, headers=shop.headers) as response,
    ):
        await Reader(response).opened()

    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers


async def test_a_committed_change_arrives_live_with_its_envelope(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    async with watching(app, shop) as stream:
        await record(sessions, shop.other_order, names.CHAT_MESSAGE, note="not yours")
        event_id = await record(sessions, shop.order, names.PICKING, note="yours")
        message = await stream.event()

    assert message.id == str(event_id)
    assert message.event == names.PICKING
    body = message.json()
    assert body["event_id"] == event_id
    assert body["event_name"] == names.PICKING
    assert body["event_timestamp"].endswith("Z")
    assert len(body["event_timestamp"]) == len("2020-07-07T16:35:22Z")
    assert body["event_metadata"] == {
        "order_id": shop.order.order_id,
        "user_id": shop.order.user_id,
        "location_code": shop.order.location_code,
        "note": "yours",
    }


async def test_a_chat_message_posted_through_the_api_arrives(
    app: FastAPI, http: httpx.AsyncClient, shop: Shop
) -> None:
    async with watching(app, shop) as stream:
        posted = await http.post(
            f"/v2/post_checkout/chat/{shop.order.order_id}/messages",
            json={"body": "Ripe ones please"},
            headers=shop.headers,
        )
        assert posted.status_code == 200, posted.text
        message = await stream.event()

    assert message.event == names.CHAT_MESSAGE
    assert message.json()["event_metadata"]["message"]["body"] == "Ripe ones please"


async def test_last_event_id_resumes_without_gap_or_repeat(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    first, second, third = [await record(sessions, shop.order, step=n) for n in range(3)]
    async with watching(app, shop, resume=first) as stream:
        backlog = [await stream.event(), await stream.event()]
        fourth = await record(sessions, shop.order, step=3)
        live = await stream.event()

    assert [m.id for m in backlog] == [str(second), str(third)]
    assert live.id == str(fourth)


async def test_the_query_parameter_resumes_too_and_zero_replays_everything(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    ids = [await record(sessions, shop.order, step=n) for n in range(3)]
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        path = f"{shop.path}?last_event_id=0"
        async with client.stream("GET", path, headers=shop.headers) as response:
            stream = Reader(response)
            replayed = [await stream.event() for _ in ids]
        path = f"{shop.path}?last_event_id={ids[1]}"
        async with client.stream("GET", path, headers=shop.headers) as response:
            resumed = await Reader(response).event()

    assert [m.id for m in replayed] == [str(i) for i in ids]
    assert resumed.id == str(ids[2])


async def test_a_stream_opened_without_resume_starts_after_the_past(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    await record(sessions, shop.order, step="before")
    async with watching(app, shop) as stream:
        after = await record(sessions, shop.order, step="after")
        message = await stream.event()

    assert message.id == str(after)


async def test_keep_alive_comments_are_sent_while_nothing_happens(app: FastAPI, shop: Shop) -> None:
    async with watching(app, shop) as stream:
        message = await stream.block()

    assert message.comments == ["keep-alive"]
    assert message.event is None


async def test_an_event_whose_notification_was_lost_still_arrives(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    """A row written with no notification at all (a plain INSERT) is found by the periodic
    table check."""
    async with watching(app, shop) as stream:
        async with sessions() as session:
            event_id = await session.scalar(
                insert(Event)
                .values(
                    tenant_id=shop.order.tenant_id,
                    name=names.ITEM_UPDATED,
                    order_pk=shop.order.id,
                    order_id=shop.order.order_id,
                    user_id=shop.order.user_id,
                    metadata_={"quiet": True},
                    created_at=utcnow(),
                )
                .returning(Event.id)
            )
            await session.commit()
        message = await stream.event()

    assert message.id == str(event_id)
    assert message.json()["event_metadata"] == {"quiet": True}


async def test_webhook_only_events_are_not_streamed(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    async with watching(app, shop) as stream:
        await record(sessions, shop.order, names.MARKETPLACE_FEEDBACK)
        shown = await record(sessions, shop.order, names.DELIVERED)
        message = await stream.event()

    assert message.id == str(shown)


async def test_a_client_that_stops_reading_is_dropped(
    app: FastAPI, sessions: Sessions, shop: Shop
) -> None:
    """Large events fill the socket until sending blocks; the notifications that follow exceed
    the subscription's bound and it is dropped."""
    broker: Broker = app.state.broker
    async with served(app) as url, stalled_client(url, shop):
        # Only events committed after the open comment are sent; then reading stops.
        for _ in range(12):
            await record(sessions, shop.order, blob="x" * 1_000_000)
        # Notifications that arrive while a read is in flight are taken together, so
        # publish until the backlog overflows (at most a few times the bound).
        for n in range(10 * app.state.settings.stream_max_pending):
            if not broker.subscriber_count(shop.order.id):
                break
            await record(sessions, shop.order, n=n)
            await broker.settle()
        assert broker.subscriber_count(shop.order.id) == 0


async def test_a_client_that_accepts_nothing_is_cut_off_after_the_send_timeout(
    app: FastAPI, sessions: Sessions, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too few events to be dropped for falling behind: the send timeout ends it, and the
    connection closes without the end of the body."""
    monkeypatch.setattr(router, "SEND_TIMEOUT_SECONDS", 0.5)
    broker: Broker = app.state.broker
    async with served(app) as url, stalled_client(url, shop) as stalled:
        for _ in range(12):
            await record(sessions, shop.order, blob=BLOB)
        async with asyncio.timeout(WAIT):
            while broker.subscriber_count(shop.order.id):
                await asyncio.sleep(0.05)
        with pytest.raises(EOFError):
            await stalled.read_to_end_of_body()
