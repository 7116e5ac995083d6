"""Helpers for stream tests: a real HTTP server around the test app (httpx's ASGI transport
buffers whole responses, so streaming needs a socket), an SSE reader, and events written as the
services write them."""

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db import aftercommit
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.models import Order
from tests import factories

WAIT = 5.0
#: A large event's payload: a dozen of them fill the socket buffers between the server and a
#: client that reads nothing (see :func:`stalled_client`), so that sending to it blocks.
BLOB = "x" * 1_000_000


@dataclass
class Message:
    """One SSE block: an event (``id``/``event``/``data``) or only comments."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


class Reader:
    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def block(self, timeout: float = WAIT) -> Message:
        message = Message()
        async with asyncio.timeout(timeout):
            async for line in self._lines:
                if not line:
                    if message.id or message.event or message.data or message.comments:
                        return message
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    message.comments.append(value)
                elif name in ("id", "event", "data"):
                    setattr(message, name, value)
        raise EOFError("the stream ended")

    async def event(self, timeout: float = WAIT) -> Message:
        """The next event, skipping comments."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.block()
                if message.event is not None:
                    return message

    async def opened(self) -> None:
        """Waits for the comment that says the stream is subscribed (keep-alives may come first)."""
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.block()
                assert message.event is None, message
                if "open" in message.comments:
                    return

    async def ended(self, timeout: float = WAIT) -> bool:
        """True when the server closes the stream (comments before the end are skipped)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.block()
        except EOFError:
            return True


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serves the (already started) app on a free 127.0.0.1 port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@contextlib.asynccontextmanager
async def watching(
    app: FastAPI, shop: "Shop", *, resume: int | None = None
) -> AsyncIterator[Reader]:
    """An open stream of the shop's order on a real socket; without ``resume`` it is read up to
    its ``open`` comment, so that whatever is committed next is delivered."""
    headers = shop.headers if resume is None else {**shop.headers, "Last-Event-ID": str(resume)}
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        async with client.stream("GET", shop.path, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = Reader(response)
            if resume is None:
                await stream.opened()
            yield stream


class StalledClient:
    """A raw connection whose reading can be stopped, parsing the chunked SSE body itself."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received = b""

    async def read_until(self, marker: bytes) -> None:
        async with asyncio.timeout(WAIT):
            while marker not in self.received:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise EOFError("the connection closed")
                self.received += chunk

    async def read_to_end_of_body(self) -> list[int]:
        """Reads up to the end of the chunked body; returns the event ids it carried."""
        await self.read_until(b"\r\n0\r\n\r\n")
        return [int(n) for n in re.findall(rb"\r\nid: (\d+)\r\n", self.received)]


@contextlib.asynccontextmanager
async def stalled_client(url: str, shop: "Shop") -> AsyncIterator[StalledClient]:
    """A stream of the shop's order on a raw socket with a small receive buffer, read up to its
    open comment, then only when told to."""
    port = httpx.URL(url).port
    assert port is not None
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # no receive autotuning
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(
        f"GET {shop.path} HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {shop.token}\r\n\r\n".encode()
    )
    await writer.drain()
    client = StalledClient(reader, writer)
    try:
        await client.read_until(b": open")
        yield client
    finally:
        writer.close()


@dataclass
class Shop:
    """A user with two orders (the second belongs to someone else) and a user token."""

    order: Order
    other_order: Order
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return factories.bearer(self.token)

    @property
    def path(self) -> str:
        return f"/v2/post_checkout/orders/{self.order.order_id}/events"


async def arrange(
    sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient, creds: Any
) -> Shop:
    async with sessions() as session:
        user = await factories.insert_user(session)
        stranger = await factories.insert_user(session)
        store = await factories.insert_store(session)
        product = await factories.insert_product(session)
        order = await factories.insert_order(session, user=user, store=store, products=[product])
        other = await factories.insert_order(
            session, user=stranger, store=store, products=[product]
        )
        await session.commit()
    token = await factories.user_token(http, creds, user.user_id)
    return Shop(order=order, other_order=other, token=token)


async def record(
    sessions: async_sessionmaker[AsyncSession],
    order: Order,
    name: str = names.CHAT_MESSAGE,
    **metadata: Any,
) -> int:
    """Writes one event for the order and commits, as a service would; returns its id."""
    async with sessions() as session:
        row = await session.get(Order, order.id)
        assert row is not None
        event = await record_event(session, name, order=row, metadata=metadata)
        await session.commit()
        aftercommit.committed(session)
    return event.id
