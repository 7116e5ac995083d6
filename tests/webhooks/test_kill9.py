"""Kill -9 loses nothing: ``aftercart serve`` is killed while it delivers, restarted, and every
committed event still reaches the receiver, repeats carrying the same ``webhook-id``."""

import asyncio
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from aftercart.auth.service import create_client
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from aftercart.events import names
from aftercart.events.webhooks import service
from aftercart.models import Event
from aftercart.models.tenant import DEFAULT_TENANT
from tests.stream.processes import free_port, start, stop
from tests.webhooks.helpers import serving_in_a_thread

pytestmark = pytest.mark.slow


class Counting(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[tuple[str, int]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


class _Handler(BaseHTTPRequestHandler):
    server: Counting

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        time.sleep(0.01)  # keeps deliveries in flight when the server is killed
        with self.server.lock:
            self.server.received.append((self.headers["webhook-id"], body["event_id"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Counting]:
    server = Counting()
    with serving_in_a_thread(server):
        yield server


async def _prepare(url: str, receiver_url: str) -> tuple[str, str, int]:
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as session:
        issued = await create_client(session, name="Kill test retailer", tenant_id=DEFAULT_TENANT)
        subscription = await service.create_subscription(
            session, client_id=issued.client_id, url=receiver_url, allow_private=True
        )
        await session.commit()
    await engine.dispose()
    return issued.client_id, issued.client_secret, subscription.id


async def _test_event_ids(url: str) -> set[int]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        ids = set(await session.scalars(select(Event.id).where(Event.name == names.WEBHOOK_TEST)))
    await engine.dispose()
    return ids


async def _until_up(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(20):
        while True:
            assert process.poll() is None, "the server exited"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def _send_tests(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], count: int
) -> list[int]:
    """Asks for ``count`` test events; returns the ids of those known to be committed."""
    ids = []
    for _ in range(count):
        try:
            response = await http.post(path, headers=headers)
        except httpx.TransportError:
            break
        assert response.status_code == 202, response.text
        ids.append(response.json()["event_id"])
    return ids


async def test_kill_9_mid_stream_loses_no_event(tmp_path: Path, receiver: Counting) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'kill9.db'}"
    client_id, secret, subscription_id = await _prepare(database, receiver.url)
    port = free_port()
    settings = {"sandbox": "true", "run_worker": "true", "webhook_lease_seconds": "2"}
    log = (tmp_path / "serve.log").open("ab")
    path = f"/v2/webhooks/{subscription_id}/test"
    server, url = start(database, log, port=port, **settings)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            await _until_up(http, server)
            token = await http.post(
                "/v2/oauth/token",
                json={
                    "client_id": client_id,
                    "client_secret": secret,
                    "grant_type": "client_credentials",
                },
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            sending = asyncio.create_task(_send_tests(http, path, headers, 300))
            async with asyncio.timeout(20):
                while receiver.count() < 20:
                    await asyncio.sleep(0.01)
            server.send_signal(signal.SIGKILL)
            server.wait()
            before_kill = await sending
            assert len(before_kill) < 300, "the server was killed mid-stream"

            server, _ = start(database, log, port=port, **settings)
            await _until_up(http, server)
            after_restart = await _send_tests(http, path, headers, 20)

            committed = await _test_event_ids(database)
            assert set(before_kill + after_restart) <= committed
            async with asyncio.timeout(30):
                while not committed <= {event for _, event in receiver.received}:
                    await asyncio.sleep(0.1)
    finally:
        stop(server)
        log.close()

    with receiver.lock:
        received = list(receiver.received)
    by_id: dict[str, set[int]] = {}
    by_event: dict[int, set[str]] = {}
    for webhook_id, event_id in received:
        by_id.setdefault(webhook_id, set()).add(event_id)
        by_event.setdefault(event_id, set()).add(webhook_id)
    assert all(len(events) == 1 for events in by_id.values())
    assert all(len(ids) == 1 for ids in by_event.values()), "a repeat keeps its webhook-id"
    assert set(by_event) == committed
