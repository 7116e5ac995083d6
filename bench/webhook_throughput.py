"""Webhook deliveries per second from one worker, against a bare loop of the same HTTP client.

    .venv/bin/python -m bench.webhook_throughput [--count 5000]
    .venv/bin/python -m bench.webhook_throughput --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.webhook_throughput --database-url URL   # an existing, empty database

Writes ``count`` events owed to one subscription and starts a receiver in another process (a
bare asyncio HTTP/1.1 server on 127.0.0.1 that answers 200 with keep-alive, so the figures
measure the sender rather than the receiver). Then, in this process: a reference loop posts the
same signed bodies through the worker's own ``ConnectionPool`` at the worker's concurrency for
one subscription, with no database; one worker runs until every delivery is recorded as
succeeded; the reference loop runs again. Prints both rates, their ratio (goal ≥ 0.7) and each
one's count per CPU-second of this process (the receiver's CPU is not in it). SQLite in a
temporary file by default; ``--postgres`` makes a fresh database on that server and drops it.

Before measuring, the startup heap is frozen as ``aftercart worker`` freezes its own
(``--no-gc-freeze`` to measure without); all three runs share that heap.
"""

import argparse
import asyncio
import importlib.util
import multiprocessing
import socket
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select

from aftercart.auth.service import create_client
from aftercart.config import Settings
from aftercart.db.engine import create_engine, read_session_factory, session_factory
from aftercart.db.migrate import upgrade
from aftercart.db.types import utcnow
from aftercart.events.webhooks import queue, rules, service, worker
from aftercart.events.webhooks.clients import ConnectionPool
from aftercart.events.webhooks.sender import Job, sign
from aftercart.models import Event, WebhookDelivery

T = TypeVar("T")
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
POLL_SECONDS = 0.05


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


@dataclass(frozen=True)
class Run:
    done: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.done / self.cpu_seconds


async def _arrange(database_url: str, count: int, receiver_url: str) -> list[Job]:
    """The deliveries, and the jobs the worker will make of them (for the reference loop)."""
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
        deliveries = list(
            await session.scalars(
                insert(WebhookDelivery).returning(WebhookDelivery.id),
                [
                    {"subscription_id": subscription.id, "event_id": i, "next_attempt_at": now}
                    for i in ids
                ],
            )
        )
        jobs = await queue.load_jobs(session, deliveries, lease_until=None)
        await session.commit()
    await engine.dispose()
    return jobs


async def _reference(jobs: list[Job], concurrency: int) -> Run:
    """The jobs signed and posted as the sender does, by ``concurrency`` loops at once."""
    pool = ConnectionPool()
    waiting = iter(jobs)

    async def post_all() -> None:
        for job in waiting:
            now = utcnow()
            headers = sign(job.signing_secret, rules.message_id(job.delivery_id), now, job.body)
            headers["content-type"] = "application/json"
            async with pool.post(job.url, headers=headers, content=job.body) as answer:
                await answer.read(rules.RESPONSE_EXCERPT_BYTES)
            assert answer.status == 200, answer.status

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(post_all() for _ in range(concurrency)))
    run = Run(len(jobs), time.perf_counter() - started, time.process_time() - cpu)
    await pool.aclose()
    return run


async def _deliver_all(settings: Settings) -> Run:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    # The poll below runs in this process too, so it is kept cheap: a read that takes no write
    # lock (deferred on SQLite) and stops at the first pending row instead of counting them.
    reads = read_session_factory(engine)
    pending = select(WebhookDelivery.id).where(WebhookDelivery.status == rules.PENDING).limit(1)
    stop = asyncio.Event()
    cpu, started = time.process_time(), time.perf_counter()
    task = asyncio.create_task(worker.run(sessions, settings, stop))
    while True:
        await asyncio.sleep(POLL_SECONDS)
        async with reads() as session:
            if await session.scalar(pending) is None:
                break
        if task.done():
            task.result()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
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
    return Run(succeeded, elapsed, cpu)


async def _measure(args: argparse.Namespace, database_url: str, url: str) -> list[Run]:
    settings = Settings(
        database_url=database_url,
        webhook_concurrency=args.concurrency,
        log_level="WARNING",
        webhooks_allow_private=True,  # the receiver is on 127.0.0.1
    )
    jobs = await _arrange(database_url, args.count, url)
    if args.gc_freeze:
        # As ``aftercart worker`` does once started; the reference loops run in this heap too.
        worker.freeze_startup_heap()
    # One subscription: the worker has a quarter of its concurrency in flight to it.
    lanes = max(1, args.concurrency // 4)
    before = await _reference(jobs, lanes)
    delivered = await _deliver_all(settings)
    after = await _reference(jobs, lanes)
    return [before, delivered, after]


async def _main(args: argparse.Namespace, url: str) -> list[Run]:
    if args.postgres:
        # Imported here so that ``python bench/webhook_throughput.py`` works on SQLite too.
        from tests.stream.processes import fresh_database

        async with fresh_database(args.postgres) as database_url:
            return await _measure(args, database_url, url)
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return await _measure(args, database_url, url)


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None)
    where.add_argument("--postgres", default=None, metavar="SERVER_URL")
    parser.add_argument("--concurrency", type=int, default=Settings().webhook_concurrency)
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="measure without freezing the startup heap (see worker.freeze_startup_heap)",
    )
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
    try:
        before, delivered, after = _run(_main(args, url), args.loop)
    finally:
        receiver.terminate()

    database = "postgresql" if args.postgres else (args.database_url or "sqlite").split(":")[0]
    reference = (before.rate + after.rate) / 2
    print(
        f"{database}, {_loop_name(args.loop)} event loop, one worker, concurrency"
        f" {args.concurrency} ({max(1, args.concurrency // 4)} in flight to the one subscription),"
        f" startup heap {'frozen' if args.gc_freeze else 'not frozen'}"
    )
    print(
        f"worker:    {delivered.done} of {args.count} delivered in {delivered.seconds:.2f} s ="
        f" {delivered.rate:,.0f} deliveries/s; {delivered.per_cpu_second:,.0f} per CPU-second"
        f" ({delivered.cpu_seconds:.2f} CPU s)"
    )
    print(
        f"reference: {before.rate:,.0f} · {after.rate:,.0f} posts/s (before · after);"
        f" {before.per_cpu_second:,.0f} · {after.per_cpu_second:,.0f} per CPU-second"
    )
    per_cpu = delivered.per_cpu_second / ((before.per_cpu_second + after.per_cpu_second) / 2)
    print(
        f"ratio:     {delivered.rate / reference:.2f} (worker / mean reference; goal ≥ 0.7);"
        f" per CPU-second {per_cpu:.2f} (steadier on a busy machine)"
    )


if __name__ == "__main__":
    main()
