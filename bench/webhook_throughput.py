"""Webhook deliveries per second from one worker to a local receiver (issue 5 §6; goal ≥ 1,000/s).

    .venv/bin/python bench/webhook_throughput.py [--count 5000] [--database-url URL]

Writes ``count`` events owed to one subscription, starts a receiver in another process (a bare
asyncio HTTP/1.1 server on 127.0.0.1 that answers 200 with keep-alive, so the figure measures
the worker rather than the receiver), runs one worker until every delivery has succeeded and
prints the rate. SQLite in a temporary file unless ``--database-url`` is given (PostgreSQL: the
database must exist and be empty of webhook subscriptions).
"""

import argparse
import asyncio
import importlib.util
import multiprocessing
import socket
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select

from aftercart.auth.service import create_client
from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from aftercart.db.types import utcnow
from aftercart.events.webhooks import rules, service, worker
from aftercart.models import Event, WebhookDelivery

T = TypeVar("T")
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class _Answering(asyncio.Protocol):
    """Answers each request once its body has arrived (content-length framed, keep-alive)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            start = head.find(b"content-length:")
            length = int(head[start + 15 :].split(b"\r\n", 1)[0]) if start >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(ANSWER)


def _receive(sock: socket.socket) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Answering, sock=sock, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


async def _arrange(database_url: str, count: int, receiver_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade(engine)
    async with session_factory(engine)() as session:
        issued = await create_client(session, name="Benchmark retailer")
        subscription = await service.create_subscription(
            session, client_id=issued.client_id, url=receiver_url, allow_private=True
        )
        now = utcnow()
        events = [
            {
                "name": "fulfillment.picking",
                "metadata_": {"order_id": f"bench-{n}"},
                "created_at": now,
            }
            for n in range(count)
        ]
        ids = list(await session.scalars(insert(Event).returning(Event.id), events))
        await session.execute(
            insert(WebhookDelivery),
            [
                {"subscription_id": subscription.id, "event_id": i, "next_attempt_at": now}
                for i in ids
            ],
        )
        await session.commit()
    await engine.dispose()


async def _deliver_all(settings: Settings, count: int) -> tuple[float, int]:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run(sessions, settings, stop))
    pending = count
    while pending:
        await asyncio.sleep(0.1)
        async with sessions() as session:
            pending = (
                await session.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.status == rules.PENDING)
                )
                or 0
            )
        if task.done():
            task.result()
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    async with sessions() as session:
        succeeded = (
            await session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == rules.SUCCEEDED)
            )
            or 0
        )
    await engine.dispose()
    return elapsed, succeeded


def _loop_name(choice: str) -> str:
    if choice != "auto":
        return choice
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def _run(work: Coroutine[Any, Any, T], choice: str) -> T:
    if _loop_name(choice) == "uvloop":
        import uvloop

        return uvloop.run(work)
    return asyncio.run(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--concurrency", type=int, default=Settings().webhook_concurrency)
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="auto: uvloop when installed, as `aftercart serve` (uvicorn) does",
    )
    args = parser.parse_args()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    receiver = multiprocessing.Process(target=_receive, args=(sock,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"

    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(
            database_url=database_url, webhook_concurrency=args.concurrency, log_level="WARNING"
        )
        asyncio.run(_arrange(database_url, args.count, url))
        elapsed, succeeded = _run(_deliver_all(settings, args.count), args.loop)
    receiver.terminate()
    dialect = database_url.split(":", 1)[0]
    print(f"{succeeded} of {args.count} deliveries in {elapsed:.2f} s on {dialect}")
    print(
        f"{succeeded / elapsed:,.0f} deliveries/second"
        f" (one worker, concurrency {args.concurrency}, {_loop_name(args.loop)} event loop)"
    )


if __name__ == "__main__":
    main()
