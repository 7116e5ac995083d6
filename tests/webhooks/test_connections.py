"""The sender's own connections over a real socket: kept alive, never reused once the receiver
closed them, and every kind of failure recorded as an error rather than raised."""

import asyncio
import base64
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from aftercart.db.types import utcnow
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.clients import USER_AGENT
from aftercart.events.webhooks.sender import Attempt, Job, Sender

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@dataclass
class Receiver:
    """Answers each request with ``answer()``, or never when that is None; closes the
    connection after each answer when ``close``."""

    port: int = 0
    answer: Callable[[], bytes | None] = lambda: OK
    close: bool = False
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answer()
                if answer is None:
                    await reader.read()  # until the sender hangs up
                    return
                writer.write(answer)
                await writer.drain()
                if self.close:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver


def _job(port: int) -> Job:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    return Job(1, 1, f"http://127.0.0.1:{port}/hook?x=1", secret, None, b"{}", 0, utcnow())


async def _deliver(port: int, times: int = 1, timeout: float = 5.0) -> list[Attempt]:
    sender = Sender(timeout=timeout)
    try:
        return [(await sender.deliver(_job(port))).final for _ in range(times)]
    finally:
        await sender.aclose()


@contextmanager
def _unused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but not listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


async def test_one_connection_is_kept_for_sequential_deliveries(receiver: Receiver) -> None:
    attempts = await _deliver(receiver.port, times=3)
    assert [(a.status_code, a.response_excerpt, a.error) for a in attempts] == [
        (200, "ok", None)
    ] * 3
    assert receiver.connections == 1
    head = receiver.requests[0].decode()
    assert head.startswith("POST /hook?x=1 HTTP/1.1\r\n")
    assert f"host: 127.0.0.1:{receiver.port}\r\n" in head.lower()
    assert f"user-agent: {USER_AGENT}\r\n".lower() in head.lower()
    assert head.endswith("\r\n\r\n{}")


async def test_a_connection_the_receiver_closed_is_not_reused(receiver: Receiver) -> None:
    receiver.close = True
    attempts = await _deliver(receiver.port, times=2)
    assert [(a.status_code, a.error) for a in attempts] == [(200, None)] * 2
    assert receiver.connections == 2


async def test_a_long_answer_is_cut_to_its_excerpt(receiver: Receiver) -> None:
    body = b"x" * 100_000
    receiver.answer = lambda: b"HTTP/1.1 500 Oops\r\ncontent-length: 100000\r\n\r\n" + body
    [first, second] = await _deliver(receiver.port, times=2)
    assert (first.status_code, first.error) == (500, None)
    assert first.response_excerpt == "x" * rules.RESPONSE_EXCERPT_BYTES
    assert second.status_code == 500
    assert receiver.connections == 2, "a connection whose answer was not read is dropped"


async def test_a_receiver_that_never_answers_times_out(receiver: Receiver) -> None:
    receiver.answer = lambda: None
    [attempt] = await _deliver(receiver.port, timeout=0.2)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("timed out")


async def test_a_broken_answer_and_a_refused_connection_are_errors(receiver: Receiver) -> None:
    receiver.answer = lambda: b"nonsense\r\n\r\n"
    [broken] = await _deliver(receiver.port)
    assert broken.status_code is None
    assert broken.error is not None
    assert broken.error.startswith("RemoteProtocolError: ")

    with _unused_port() as port:
        [refused] = await _deliver(port)
    assert refused.status_code is None
    assert refused.error is not None
    assert refused.error.startswith("ConnectError: ")
