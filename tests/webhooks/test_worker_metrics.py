"""``aftercart worker --metrics-port``: a real worker process serves its delivery metrics."""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aftercart.auth.service import create_client
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from aftercart.db.tenancy import serve_tenant
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.webhooks import service
from tests.stream.processes import CLI, START_SECONDS, STOP_SECONDS, free_port, run_on_a_taken_port
from tests.webhooks.helpers import serving_in_a_thread

pytestmark = pytest.mark.slow

TOKEN = "s3cret"


class Receiver(ThreadingHTTPServer):
    """Answers ``/ok`` with 200 and anything else with 503 (a delivery to retry)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    with serving_in_a_thread(server):
        yield server


async def _arrange(database_url: str, receiver: Receiver) -> tuple[int, int]:
    """One event owed to a receiver that answers 200 and to one that answers 503: the two
    subscription ids."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            client = await create_client(session, name="Metrics retailer")
            ok, down = [
                await service.create_subscription(
                    session, client_id=client.client_id, url=receiver.url(path), allow_private=True
                )
                for path in ("/ok", "/down")
            ]
            serve_tenant(session, client.tenant_id)
            await record_event(session, names.PICKING, metadata={})
            await session.commit()
            return ok.id, down.id
    finally:
        await engine.dispose()


def _environment(database_url: str, **settings: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCART_")}
    return {
        **inherited,
        "AFTERCART_DATABASE_URL": database_url,
        "AFTERCART_WEBHOOKS_ALLOW_PRIVATE": "true",
        "AFTERCART_LOG_LEVEL": "warning",
        **{f"AFTERCART_{name.upper()}": value for name, value in settings.items()},
    }


@contextlib.asynccontextmanager
async def _worker(
    database_url: str, port: int, **settings: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``aftercart worker --metrics-port PORT``; asserts it stops cleanly on SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *("worker", "--metrics-port", str(port)),
        env=_environment(database_url, **settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(STOP_SECONDS):
            _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _scrape_until_delivered(
    worker: asyncio.subprocess.Process,
    http: httpx.AsyncClient,
    subscriptions: tuple[int, int],
    headers: dict[str, str] | None = None,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The worker's figures once a delivery to each subscription was tried."""
    async with asyncio.timeout(START_SECONDS):
        while True:
            assert worker.returncode is None, "the worker exited"
            with contextlib.suppress(httpx.TransportError):
                answer = await http.get("/metrics", headers=headers)
                assert answer.status_code == 200, answer.text
                samples = _samples(answer.text)
                attempted = [
                    samples.get(
                        ("aftercart_webhook_attempts_total", (("subscription_id", str(s)),))
                    )
                    for s in subscriptions
                ]
                if all(attempted):
                    return samples
            await asyncio.sleep(0.2)


async def test_the_worker_serves_its_delivery_metrics(tmp_path: Path, receiver: Receiver) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    ok, down = await _arrange(database_url, receiver)
    port = free_port()
    async with (
        _worker(database_url, port) as worker,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
    ):
        samples = await _scrape_until_delivered(worker, http, (ok, down))
    assert samples[("aftercart_webhook_attempts_total", (("subscription_id", str(ok)),))] == 1
    assert samples[("aftercart_webhook_failures_total", (("subscription_id", str(ok)),))] == 0
    assert samples[("aftercart_webhook_failures_total", (("subscription_id", str(down)),))] >= 1
    histogram = (
        "aftercart_webhook_delivery_duration_seconds_count",
        (("subscription_id", str(ok)),),
    )
    assert samples[histogram] == 1
    # Read from the database at the scrape: the 503 delivery waits for its retry.
    assert samples[("aftercart_webhook_queue_depth", ())] == 1


async def test_the_metrics_token_is_asked_for_when_set(tmp_path: Path, receiver: Receiver) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    ok, down = await _arrange(database_url, receiver)
    port = free_port()
    async with (
        _worker(database_url, port, metrics_token=TOKEN) as worker,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
    ):
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        samples = await _scrape_until_delivered(worker, http, (ok, down), bearer)
        refused = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert ("aftercart_webhook_queue_depth", ()) in samples
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    assert refused.content == b""
    assert wrong.status_code == 401


def test_a_metrics_port_in_use_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    database = tmp_path / "missing.db"
    port, run = run_on_a_taken_port(
        lambda port: ["worker", "--metrics-port", str(port)],
        _environment(f"sqlite:///{database}"),
    )
    assert run.returncode == 1
    assert run.stdout == (
        f"error: port {port} on 127.0.0.1 is already in use; stop what listens there or choose "
        "another port with --metrics-port\n"
    )
