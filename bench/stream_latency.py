"""Times a shopper's item update until it reaches every open event stream of the order.

    .venv/bin/python -m bench.stream_latency [--streams 1000] [--orders 1] [--updates 30]
                                             [--database-url URL | --postgres SERVER_URL]
                                             [--per-round]

One ``aftercart serve`` process (uvicorn on 127.0.0.1) and, in this process, ``--streams`` SSE
clients on raw sockets (asyncio protocols, on uvloop), spread round-robin over ``--orders``
orders (default: all 1,000 on one order, the widest fan-out). Each round the sandbox shopper
updates an item (``PUT /v2/fulfillment_sandbox/shoppers/{id}/orders/{order_id}/items/1``); the
latency of a stream is from just before that request is sent to the moment the stream has read
the event's ``id:`` line. By default a fresh SQLite file is used; ``--postgres`` creates a fresh
database on that server (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) and drops it
afterwards; ``--database-url`` uses an existing, empty database.

Besides the latencies it prints the CPU time the server process (from ``/proc``) and this
process spent per update during the rounds; the server's time per delivery is what one event
costs per stream, the update request included.
"""

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import uvloop
from sqlalchemy.engine import make_url
from tests.stream.processes import cpu_seconds, scratch_database, serving_process, until_healthy

from aftercart.auth import service as auth_service
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from aftercart.models import Order, OrderItem, Product, Store, User

ROUND_SECONDS = 10.0
PAUSE_SECONDS = 0.2


class Client(asyncio.Protocol):
    """One SSE connection, parsed in the transport's callback: no task and no stream reader per
    connection, so that a thousand of them take little of the CPU the server shares. Keeps the
    arrival time of every event id and keep-alive comment it reads."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.arrivals: dict[int, float] = {}
        self.keep_alives: list[float] = []
        self.opened = asyncio.Event()
        self.headed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.BaseTransport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self._buffer + data
        if not self.headed.done():
            head, end, buffer = buffer.partition(b"\r\n\r\n")
            if not end:
                self._buffer = head
                return
            if head.startswith(b"HTTP/1.1 200"):
                self.headed.set_result(None)
            else:
                self.headed.set_exception(RuntimeError(head.decode(errors="replace")))
        *lines, self._buffer = buffer.split(b"\r\n")
        for line in lines:
            if line.startswith(b"id: "):
                self.arrivals[int(line[4:])] = now
            elif line == b": keep-alive":
                self.keep_alives.append(now)
            elif line == b": open":
                self.opened.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.headed.done():
            self.headed.set_exception(exc or ConnectionError("closed before the response"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def arrange(
    database_url: str, orders: int
) -> tuple[auth_service.IssuedCredentials, str, list[str]]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        async with session_factory(engine)() as session:
            session.add(User(user_id="bench-user", first_name="Ada", last_name="Byron"))
            session.add(
                Store(
                    location_code="bench-store",
                    name="Bench Grocer",
                    address_line_1="1 Market St",
                    city="San Francisco",
                    state="CA",
                    postal_code="94105",
                    latitude=37.79,
                    longitude=-122.39,
                    pickup=True,
                    delivery=True,
                )
            )
            product = Product(
                upc="012345678905", name="Milk", size="1 gal", unit_price=Decimal("3.49")
            )
            session.add(product)
            await session.flush()
            order_ids = [f"bench-{n}" for n in range(orders)]
            for order_id in order_ids:
                order = Order(
                    order_id=order_id,
                    user_id="bench-user",
                    service_type="pickup",
                    location_code="bench-store",
                    customer={},
                )
                session.add(order)
                await session.flush()
                session.add(
                    OrderItem(order_pk=order.id, line_num="1", product_id=product.id, count=2)
                )
            creds = await auth_service.create_client(session, name="Bench")
            await session.commit()
    finally:
        await engine.dispose()
    return creds, "bench-user", order_ids


async def token(
    http: httpx.AsyncClient, creds: auth_service.IssuedCredentials, **grant: str
) -> str:
    body = {"client_id": creds.client_id, "client_secret": creds.client_secret, **grant}
    response = await http.post("/v2/oauth/token", json=body)
    response.raise_for_status()
    value: str = response.json()["access_token"]
    return value


async def open_stream(port: int, order_id: str, user_token: str) -> Client:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(lambda: Client(order_id), "127.0.0.1", port)
    transport.write(
        (
            f"GET /v2/post_checkout/orders/{order_id}/events HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {user_token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await client.headed
    return client


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Sandbox:
    """The order's shopper, and the tokens of the retailer (sandbox) and of the customer."""

    shopper: int
    retailer: dict[str, str]
    user_token: str


async def prepare(
    http: httpx.AsyncClient, creds: auth_service.IssuedCredentials, user_id: str, orders: list[str]
) -> Sandbox:
    """A shopper picking every order (so that items can be updated) and both tokens."""
    client_token = await token(http, creds, grant_type="client_credentials")
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    user_token = await token(
        http, creds, grant_type="fulfillment_user_assertion", assertion=assertion
    )
    retailer = {"Authorization": f"Bearer {client_token}"}
    created = await http.post("/v2/fulfillment_sandbox/shoppers", json={}, headers=retailer)
    shopper: int = created.raise_for_status().json()["id"]
    batch = await http.post(
        "/v2/fulfillment_sandbox/batches",
        json={
            "shopper_id": shopper,
            "workflow_state": "picking",
            "orders": [{"id": o} for o in orders],
        },
        headers=retailer,
    )
    batch.raise_for_status()
    return Sandbox(shopper, retailer, user_token)


async def open_all(port: int, orders: list[str], count: int, user_token: str) -> list[Client]:
    clients: list[Client] = []
    for start in range(0, count, 100):
        clients += await asyncio.gather(
            *(
                open_stream(port, orders[n % len(orders)], user_token)
                for n in range(start, min(start + 100, count))
            )
        )
    return clients


async def measure(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    clients: list[Client],
    orders: list[str],
    rounds: int,
    *,
    per_round: bool = False,
) -> tuple[list[float], list[float]]:
    """Per round: one item update, then the wait until each stream of that order has it.
    Returns the stream latencies and the update requests' own durations, in seconds; with
    ``per_round``, prints each round's first and last arrival (a pause of the whole server,
    such as a full garbage collection, shows as one slow round)."""
    latencies: list[float] = []
    requests: list[float] = []
    for round_ in range(rounds):
        order_id = orders[round_ % len(orders)]
        audience = [c for c in clients if c.order_id == order_id]
        before = [len(c.arrivals) for c in audience]
        body = (
            {"status": "found", "delivered_count": 1}
            if round_ % 2 == 0
            else {"status": "not_found"}
        )
        sent = time.perf_counter()
        response = await http.put(
            f"/v2/fulfillment_sandbox/shoppers/{sandbox.shopper}/orders/{order_id}/items/1",
            json=body,
            headers=sandbox.retailer,
        )
        requests.append(time.perf_counter() - sent)
        response.raise_for_status()
        async with asyncio.timeout(ROUND_SECONDS):
            while any(len(c.arrivals) == n for c, n in zip(audience, before, strict=True)):
                await asyncio.sleep(0.005)
        latencies += [c.arrivals[max(c.arrivals)] - sent for c in audience]
        if per_round:
            round_ms = [(c.arrivals[max(c.arrivals)] - sent) * 1000 for c in audience]
            print(
                f"round {round_}: request={requests[-1] * 1000:.1f} "
                f"first={min(round_ms):.1f} last={max(round_ms):.1f} ms"
            )
        await asyncio.sleep(PAUSE_SECONDS)
    return latencies, requests


async def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    creds, user_id, orders = await arrange(database_url, args.orders)
    with (
        (folder / "serve.log").open("wb") as log,
        serving_process(database_url, log, max_streams_per_token="0") as (server, base_url),
    ):
        port = httpx.URL(base_url).port
        assert port is not None
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            await until_healthy(http)
            sandbox = await prepare(http, creds, user_id, orders)
            clients = await open_all(port, orders, args.streams, sandbox.user_token)
            async with asyncio.timeout(60):
                await asyncio.gather(*(c.opened.wait() for c in clients))
            cpu_before = cpu_seconds(server.pid), time.process_time()
            latencies, requests = await measure(
                http, sandbox, clients, orders, args.updates, per_round=args.per_round
            )
            server_cpu = cpu_seconds(server.pid) - cpu_before[0]
            client_cpu = time.process_time() - cpu_before[1]
            for c in clients:
                c.close()

    backend = make_url(database_url).get_backend_name()
    print(
        f"streams={args.streams} orders={args.orders} updates={args.updates} db={backend} "
        f"samples={len(latencies)}"
    )
    print(f"update → stream ms: {_summary(latencies)}")
    print(f"update request alone ms: {_summary(requests)}")
    per_update = 1000 / args.updates
    print(
        f"CPU per update ms: server={server_cpu * per_update:.1f} "
        f"(per delivery µs={server_cpu * 1e6 / len(latencies):.1f}) "
        f"bench clients={client_cpu * per_update:.1f}"
    )


def _summary(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"p50={statistics.median(ms):.1f} p99={percentile(ms, 0.99):.1f} max={max(ms):.1f}"


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.database_url:
            await run(args, args.database_url, folder)
            return
        async with scratch_database(folder, args.postgres) as url:
            await run(args, url, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1)
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--per-round", action="store_true", help="print every round's latencies")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None)
    where.add_argument("--postgres", default=None, metavar="SERVER_URL")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
