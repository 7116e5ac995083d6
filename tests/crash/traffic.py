"""The kill -9 probe's traffic: the arranged data, the server under test, the webhook receiver,
and lanes of writes driven until the server is killed (see :mod:`tests.crash.checks`).

Shared by ``bench/crash_safety.py`` and ``tests/test_crash_safety.py``. Each lane of writes is
sequential and owns what it writes: two lines of an order (shopper updates), one line (a
shopper's replacement, then the customer's decision), the rating of a delivered order, or chat
messages with unique bodies. Two writes of one target in a row never leave the same state, so
the state stored afterwards says exactly which of them committed.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any

import httpx

from aftercart.auth.service import IssuedCredentials, create_client
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories
from tests.stream import processes

#: ``aftercart serve`` settings: the worker on, leases short enough that what the killed process
#: had claimed is sent again within seconds, and no rate limit on the probe's own traffic.
SERVE_SETTINGS = {
    "run_worker": "true",
    "webhook_lease_seconds": "2",
    "rate_limit_chat": "off",
    "rate_limit_api": "off",
}
PICKING_ORDERS = 2  # per round; each takes five lanes
RATED_ORDERS = 2  # per round; one lane each
LINES = 5
REQUEST_SECONDS = 10.0

#: An order line as stored: ``(shopper_status, delivered_count, replacement_status)``.
LineState = tuple[str, int | None, str | None]
NOT_SHOPPED: LineState = ("not_found", None, None)
#: A shopper's updates of one line, in turn; each leaves a state other than the one before.
ITEM_UPDATES: list[tuple[dict[str, Any], LineState]] = [
    ({"status": "found", "delivered_count": 2}, ("found", 2, None)),
    ({"status": "found", "delivered_count": 1}, ("found", 1, None)),
    ({"status": "to_refund", "delivered_count": 0}, ("to_refund", 0, None)),
    ({"status": "not_found"}, NOT_SHOPPED),
]


class Outcome(StrEnum):
    ACKED = "acked"  # answered 2xx: must be stored
    REJECTED = "rejected"  # answered otherwise: must not be stored
    IN_FLIGHT = "in flight"  # no answer before the kill: either


@dataclass
class Write:
    kind: str  # item, replacement, chat, rating
    target: str  # "order/line", the rated order, or the chat body
    state: Any  # what it leaves: a LineState, (stars, note), or the chat body
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    outcome: Outcome | None = None
    answer: str = ""


Lane = Callable[[int], Write]


@dataclass(frozen=True)
class Shop:
    creds: IssuedCredentials
    user_id: str
    picking: list[list[str]]  # per round
    delivered: list[list[str]]  # per round
    replacement_upc: str


@dataclass(frozen=True)
class Access:
    shopper: int
    retailer: dict[str, str]
    customer: dict[str, str]


async def arrange(database_url: str, rounds: int) -> Shop:
    """A migrated database with a client, a user, and each round's orders: some to pick, of
    ``LINES`` lines, and some delivered, to rate."""
    async with processes.migrated_session(database_url) as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        products = [await factories.insert_product(session) for _ in range(LINES)]
        replacement = await factories.insert_product(session)

        async def orders(count: int, **values: Any) -> list[str]:
            made = [
                await factories.insert_order(session, user=user, store=store, **values)
                for _ in range(count)
            ]
            return [order.order_id for order in made]

        picking = [await orders(PICKING_ORDERS, products=products) for _ in range(rounds)]
        delivered = [
            await orders(RATED_ORDERS, products=products[:1], workflow_state="completed")
            for _ in range(rounds)
        ]
        creds = await create_client(session, name="Crash probe", tenant_id=DEFAULT_TENANT)
        await session.commit()
    assert replacement.upc is not None
    return Shop(creds, user.user_id, picking, delivered, replacement.upc)


class Receiver:
    """A webhook receiver on 127.0.0.1: answers 200 and keeps each POST's ``webhook-id`` and
    the ``event_id`` of its body, in arrival order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, int]] = []
        self.url = ""

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator["Receiver"]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Answering(self.received), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()


class _Answering(asyncio.Protocol):
    ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

    def __init__(self, received: list[tuple[str, int]]) -> None:
        self.received = received
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = self.buffer[:end].decode("latin-1").split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)
            }
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.received.append((headers.get("webhook-id", ""), json.loads(body)["event_id"]))
            self.transport.write(self.ANSWER)


class Server:
    """The ``aftercart serve`` under test, killed and started again on one database."""

    def __init__(self, database_url: str, log: IO[bytes]) -> None:
        self.database_url = database_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    async def start(self) -> None:
        self.process, self.url = processes.start(self.database_url, self.log, **SERVE_SETTINGS)
        async with self.client() as http:
            await processes.until_healthy(http)

    def client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        return httpx.AsyncClient(base_url=self.url, timeout=REQUEST_SECONDS, limits=limits)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)

    async def reap(self) -> None:
        assert self.process is not None
        await asyncio.to_thread(self.process.wait)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            processes.stop(self.process)


async def open_shop(http: httpx.AsyncClient, shop: Shop, receiver_url: str) -> Access:
    """Both tokens, a sandbox shopper, and a subscription to every event (so every event owes
    exactly one delivery)."""
    retailer = factories.bearer(await factories.client_token(http, shop.creds))
    customer = factories.bearer(await factories.user_token(http, shop.creds, shop.user_id))
    shopper = await http.post("/v2/fulfillment_sandbox/shoppers", json={}, headers=retailer)
    hook = await http.post("/v2/webhooks", json={"url": receiver_url}, headers=retailer)
    hook.raise_for_status()
    return Access(shopper.raise_for_status().json()["id"], retailer, customer)


async def start_picking(http: httpx.AsyncClient, access: Access, orders: list[str]) -> None:
    batch = {
        "shopper_id": access.shopper,
        "workflow_state": "picking",
        "orders": [{"id": order_id} for order_id in orders],
    }
    answer = await http.post("/v2/fulfillment_sandbox/batches", json=batch, headers=access.retailer)
    answer.raise_for_status()


def _item_path(access: Access, order_id: str, line: str) -> str:
    return f"/v2/fulfillment_sandbox/shoppers/{access.shopper}/orders/{order_id}/items/{line}"


def item_lane(access: Access, order_id: str, lines: tuple[str, str]) -> Lane:
    def write(n: int) -> Write:
        line = lines[n % 2]
        body, state = ITEM_UPDATES[(n // 2) % len(ITEM_UPDATES)]
        path = _item_path(access, order_id, line)
        return Write("item", f"{order_id}/{line}", state, "PUT", path, body, access.retailer)

    return write


def replacement_lane(access: Access, order_id: str, line: str, upc: str) -> Lane:
    """Replace, approve, replace, reject, ... (a new replacement reopens the decision)."""

    def write(n: int) -> Write:
        target = f"{order_id}/{line}"
        if n % 2 == 0:
            body = {"status": "replaced", "delivered_count": 2, "replacement_item": {"upc": upc}}
            state: LineState = ("replaced", 2, "PENDING")
            path = _item_path(access, order_id, line)
            return Write("replacement", target, state, "PUT", path, body, access.retailer)
        approve = n % 4 == 1
        state = ("replaced", 2, "APPROVED") if approve else ("to_refund", 0, "REJECTED")
        path = f"/v2/post_checkout/orders/{order_id}/items/{line}/replacement"
        body = {"status": "APPROVED" if approve else "REJECTED"}
        return Write("replacement", target, state, "PUT", path, body, access.customer)

    return write


def chat_lane(access: Access, order_id: str, tag: str) -> Lane:
    def write(n: int) -> Write:
        text = f"crash-probe {tag} #{n}"
        path = f"/v2/post_checkout/chat/{order_id}/messages"
        return Write("chat", text, text, "POST", path, {"body": text}, access.customer)

    return write


def rating_lane(access: Access, order_id: str, tag: str) -> Lane:
    def write(n: int) -> Write:
        stars, note = n % 5 + 1, f"crash-probe {tag} #{n}"
        path = f"/v2/feedback/orders/{order_id}/rating"
        body = {"rating_value": f"STARS{stars}", "thank_you_note": note}
        return Write("rating", order_id, (stars, note), "POST", path, body, access.customer)

    return write


def round_lanes(access: Access, shop: Shop, number: int) -> list[Lane]:
    tag = f"r{number}-{uuid.uuid4().hex[:8]}"
    lanes: list[Lane] = []
    for order_id in shop.picking[number]:
        lanes += [
            item_lane(access, order_id, ("1", "2")),
            item_lane(access, order_id, ("3", "4")),
            replacement_lane(access, order_id, "5", shop.replacement_upc),
            chat_lane(access, order_id, f"{tag}-{order_id}-a"),
            chat_lane(access, order_id, f"{tag}-{order_id}-b"),
        ]
    lanes += [rating_lane(access, o, f"{tag}-{o}") for o in shop.delivered[number]]
    return lanes


async def send(http: httpx.AsyncClient, write: Write) -> Write:
    """Sends ``write`` and notes its outcome: no answer at all is an interrupted write."""
    try:
        answer = await http.request(
            write.method, write.path, json=write.body, headers=write.headers
        )
    except httpx.TransportError as exc:
        write.outcome, write.answer = Outcome.IN_FLIGHT, type(exc).__name__
        return write
    write.outcome = Outcome.ACKED if answer.is_success else Outcome.REJECTED
    write.answer = f"{answer.status_code} {answer.text[:200]}"
    return write


async def drive_and_kill(server: Server, lanes: list[Lane], kill_after: float) -> list[Write]:
    """Runs every lane, and ``kill_after`` seconds after each lane has had its first answer
    SIGKILLs the server with the lanes' requests in flight. A lane stops at its first answer
    that is not a 2xx, so that its later writes still each change what the one before left."""
    stop, flowing = asyncio.Event(), asyncio.Event()
    answered = 0
    async with server.client() as http:

        async def run(lane: Lane) -> list[Write]:
            nonlocal answered
            sent: list[Write] = []
            while not stop.is_set():
                write = await send(http, lane(len(sent)))
                sent.append(write)
                if len(sent) == 1 and write.outcome is not Outcome.IN_FLIGHT:
                    answered += 1
                    if answered == len(lanes):
                        flowing.set()
                if write.outcome is not Outcome.ACKED:
                    break
            return sent

        tasks = [asyncio.create_task(run(lane)) for lane in lanes]
        # A fresh process answers its first requests slowly (each path's first use compiles and
        # caches its statements); time the kill from when every kind of write is flowing.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(REQUEST_SECONDS):
                await flowing.wait()
        await asyncio.sleep(kill_after)
        # In one step of the loop: no lane can start a request between the two.
        stop.set()
        server.kill()
        await server.reap()
        per_lane = await asyncio.gather(*tasks)
    return [write for sent in per_lane for write in sent]
