"""At send time, with private receivers not allowed, a connection goes only to a public address
that was checked when it was made (the subscription check alone would let DNS rebinding by)."""

import asyncio
import base64
from collections.abc import AsyncIterator

import pytest

from aftercart.db.types import utcnow
from aftercart.events.webhooks import urls
from aftercart.events.webhooks.sender import Job, Sender

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A receiver on 127.0.0.1 that answers 200; yields its port and what it was sent."""
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    async with server:
        yield port, received


def _job(url: str) -> Job:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    return Job(1, 1, url, secret, None, b"{}", 0, utcnow())


async def _deliver(url: str, *, public_only: bool) -> tuple[int | None, str | None]:
    sender = Sender(public_only=public_only)
    try:
        attempt = (await sender.deliver(_job(url))).final
    finally:
        await sender.aclose()
    return attempt.status_code, attempt.error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_private_receivers_are_refused_when_sending(
    receiver: tuple[int, list[bytes]], host: str
) -> None:
    port, received = receiver
    status, error = await _deliver(f"http://{host}:{port}/hook", public_only=True)
    assert status is None
    assert error is not None
    assert "resolves to a private, loopback or link-local address" in error
    assert received == []


async def test_allowed_private_receivers_are_reached(receiver: tuple[int, list[bytes]]) -> None:
    port, received = receiver
    assert await _deliver(f"http://localhost:{port}/hook", public_only=False) == (200, None)
    assert len(received) == 1


async def test_a_checked_address_is_the_one_connected_to(
    receiver: tuple[int, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With loopback counted as public, the name is resolved, checked and connected to."""
    monkeypatch.setattr(urls, "is_public_address", lambda address: True)
    port, received = receiver
    assert await _deliver(f"http://localhost:{port}/hook", public_only=True) == (200, None)
    assert received[0].startswith(b"POST /hook HTTP/1.1")
