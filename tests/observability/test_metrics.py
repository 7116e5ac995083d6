"""``GET /metrics``: requests by route template, the webhook queue and deliveries, open streams
and the database pool. Metrics are process-wide, so every check compares two scrapes."""

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.events.webhooks import worker
from aftercart.observability import metrics
from aftercart.observability.metrics import UNMATCHED
from tests.observability.helpers import scrape
from tests.stream.helpers import arrange, watching
from tests.webhooks.helpers import Receiver, deliveries, record_events, sender_for, subscribe

Sessions = async_sessionmaker[AsyncSession]
ITEMS = "/v2/post_checkout/orders/{order_id}/items"


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 5) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


async def test_a_request_is_counted_under_its_route_template(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    answered = await http.get("/v2/post_checkout/orders/ord-123/items")  # no token: 401
    after = await scrape(http)

    labels = {"route": ITEMS, "method": "GET"}
    status = str(answered.status_code)
    requests = "aftercart_http_requests_total"
    assert (
        after.value(requests, status=status, **labels)
        == before.value(requests, status=status, **labels) + 1
    )
    for le in ("10.0", "+Inf"):
        bucket = "aftercart_http_request_duration_seconds_bucket"
        assert after.value(bucket, le=le, **labels) == before.value(bucket, le=le, **labels) + 1
    assert not any("ord-123" in route for route in after.label_values("route"))


async def test_unknown_paths_share_one_label(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    paths = [f"/no-such-thing/{uuid.uuid4().hex}" for _ in range(3)]
    for path in paths:
        assert (await http.get(path)).status_code == 404
    after = await scrape(http)

    labels = {"route": UNMATCHED, "method": "GET", "status": "404"}
    requests = "aftercart_http_requests_total"
    assert after.value(requests, **labels) == before.value(requests, **labels) + 3
    # The first scrape of a process is counted once it has answered, so ``/metrics`` may be new.
    assert after.label_values("route") - before.label_values("route") <= {UNMATCHED, "/metrics"}


async def test_an_unknown_method_is_one_label(http: httpx.AsyncClient) -> None:
    answered = await http.request("BREW", "/healthz")
    after = await scrape(http)
    assert "BREW" not in after.label_values("method")
    labels = {"route": "/healthz", "method": "OTHER", "status": str(answered.status_code)}
    assert after.value("aftercart_http_requests_total", **labels) >= 1


async def test_a_delivery_moves_the_webhook_metrics(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    label = {"subscription_id": str(subscription.id)}
    await record_events(sessions, 2)
    first, second = await deliveries(sessions)
    before = await scrape(http)
    assert before.value("aftercart_webhook_queue_depth") == 2

    await worker.send(sessions, first.id, sender=sender_for(Receiver(status=200)))
    await worker.send(sessions, second.id, sender=sender_for(Receiver(status=503)))
    after = await scrape(http)

    def moved(name: str) -> float:
        return after.value(name, **label) - before.value(name, **label)

    assert moved("aftercart_webhook_attempts_total") == 2
    assert moved("aftercart_webhook_failures_total") == 1
    assert moved("aftercart_webhook_delivery_duration_seconds_count") == 2
    # The 503 is retried later: it is still owed.
    assert after.value("aftercart_webhook_queue_depth") == 1


async def test_the_worker_loop_counts_what_it_sends(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, settings: Settings
) -> None:
    subscription = await subscribe(sessions, creds.client_id)
    label = {"subscription_id": str(subscription.id)}
    await record_events(sessions, 3)
    # Ids start again after each test on PostgreSQL: an earlier test may have used this label.
    before = await scrape(http)
    stop = asyncio.Event()
    running = asyncio.create_task(
        worker.run(sessions, settings, stop, sender=sender_for(Receiver(status=200)))
    )

    async def moved(name: str) -> float:
        return (await scrape(http)).value(name, **label) - before.value(name, **label)

    async def all_sent() -> bool:
        return await moved("aftercart_webhook_attempts_total") == 3

    try:
        await _until(all_sent, seconds=20)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert await moved("aftercart_webhook_failures_total") == 0
    assert await moved("aftercart_webhook_delivery_duration_seconds_count") == 3
    assert (await scrape(http)).value("aftercart_webhook_queue_depth") == 0


async def test_open_streams_go_up_and_down(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    shop = await arrange(sessions, http, creds)
    baseline = (await scrape(http)).value("aftercart_open_streams")

    async def open_streams() -> float:
        return (await scrape(http)).value("aftercart_open_streams")

    async with watching(app, shop):
        assert await open_streams() == baseline + 1

    async def closed() -> bool:
        return await open_streams() == baseline

    await _until(closed)


async def test_the_database_pool_is_shown(app: FastAPI, http: httpx.AsyncClient) -> None:
    """The app's background loops take connections now and then, so only what the test holds
    is certain: three connections (read ones, which SQLite lets run side by side)."""
    checked_out = "aftercart_db_pool_checked_out"
    reads: Sessions = app.state.read_sessions
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(3):
            session = await stack.enter_async_context(reads())
            await session.connection()
        during = await scrape(http)
    assert during.value(checked_out) >= 3
    assert during.value("aftercart_db_pool_size") >= 1

    async def given_back() -> bool:
        return (await scrape(http)).value(checked_out) <= during.value(checked_out) - 3

    await _until(given_back)
    assert (await scrape(http)).value("aftercart_db_pool_idle") >= 1


@pytest.fixture
async def settings_app(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(database_url=database_url, **request.param), migrate=False)
    async with application.router.lifespan_context(application):
        yield application


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize("settings_app", [{"metrics": False}], indirect=True)
async def test_metrics_can_be_turned_off(settings_app: FastAPI) -> None:
    async with _client(settings_app) as client:
        assert (await client.get("/metrics")).status_code == 404


@pytest.mark.parametrize("settings_app", [{"metrics_token": "s3cret"}], indirect=True)
async def test_a_metrics_token_is_asked_for_when_set(settings_app: FastAPI) -> None:
    async with _client(settings_app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200
        assert "aftercart_http_requests_total" in right.text


async def test_metrics_are_not_in_the_openapi_document(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    assert "/metrics" not in document["paths"]


def test_a_dead_workers_live_gauges_are_dropped(tmp_path: Path) -> None:
    """A worker killed without a clean stop leaves its gauge files; a scrape drops them (its
    counters stay: what it answered was answered)."""
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    alive, gone = os.getpid(), ended.pid
    kept = [tmp_path / f"gauge_livesum_{alive}.db", tmp_path / f"counter_{gone}.db"]
    dropped = [tmp_path / f"gauge_livesum_{gone}.db", tmp_path / f"gauge_liveall_{gone}.db"]
    for path in kept + dropped:
        path.write_bytes(b"")
    metrics.forget_dead_processes(str(tmp_path))
    assert [path.exists() for path in kept + dropped] == [True, True, False, False]
