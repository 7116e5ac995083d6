"""Keep-alive HTTP connections for deliveries, on httpcore's public API (httpx's transport layer).

Each ``httpcore.AsyncHTTPConnection`` is lent to one request at a time and kept afterwards, per
origin. Not ``httpcore.AsyncConnectionPool``: it checks every connection it holds on every
request, so one pool of fifty connections spends more time choosing a connection than sending.
Not ``httpx``'s client or transport either: a delivery needs none of what they add, and they take
no network backend, which is where :class:`~aftercart.events.webhooks.urls.PublicOnlyBackend`
checks the address of every new connection when private receivers are not allowed.
``bench/webhook_throughput.py`` measures the whole path.
"""

import ssl
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache

import httpcore
import httpx

from aftercart import __version__
from aftercart.events.webhooks.urls import PublicOnlyBackend

TIMEOUT_SECONDS = 10.0
USER_AGENT = f"Aftercart-Webhooks/{__version__}"
#: Idle connections kept per origin (scheme, host, port); more are closed when returned.
IDLE_PER_ORIGIN = 64
#: An idle connection older than this is closed rather than reused (as httpx does).
KEEPALIVE_SECONDS = 5.0

_TIMEOUTS = (httpcore.TimeoutException, httpx.TimeoutException)
_FAILURES = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    httpx.TransportError,
    httpx.InvalidURL,
)


class SendError(Exception):
    """No answer, or an answer cut short; the message is what the attempt records."""


def _failure(exc: Exception) -> SendError:
    if isinstance(exc, _TIMEOUTS):
        return SendError(f"timed out ({type(exc).__name__})")
    return SendError(f"{type(exc).__name__}: {exc}"[:500])


class Answer:
    """The status of an answer whose body is still to be read, as sent: no ``accept-encoding``
    goes out, so no receiver should compress it."""

    def __init__(self, status: int, chunks: AsyncIterable[bytes]) -> None:
        self.status = status
        self._chunks = chunks

    async def read(self, limit: int) -> bytes:
        """The body, or its first ``limit`` bytes or more (the rest is never read)."""
        body = b""
        try:
            async for chunk in self._chunks:
                body += chunk
                if len(body) >= limit:
                    break
        except (*_TIMEOUTS, *_FAILURES) as exc:
            raise _failure(exc) from exc
        return body


@dataclass(frozen=True)
class _Target:
    url: httpcore.URL
    origin: httpcore.Origin
    #: ``origin`` as a dict key (``httpcore.Origin`` is not hashable).
    key: tuple[bytes, bytes, int]
    host: bytes


@lru_cache(maxsize=1024)
def _target(url: str) -> _Target:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise SendError(f"UnsupportedProtocol: {url[:200]} is not an http(s) URL")
    target = httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )
    origin = target.origin
    return _Target(target, origin, (origin.scheme, origin.host, origin.port), parsed.netloc)


class ConnectionPool:
    """POSTs over kept connections; ``aclose()`` when done."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        idle_per_origin: int = IDLE_PER_ORIGIN,
        public_only: bool = False,
    ) -> None:
        """``transport`` replaces the network (tests pass an ``httpx.MockTransport``);
        ``public_only`` refuses connections to private addresses (see ``urls``)."""
        self._transport = transport
        self._backend = PublicOnlyBackend() if public_only else httpcore.AnyIOBackend()
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._idle_per_origin = idle_per_origin
        self._ssl: ssl.SSLContext | None = None
        self._idle: defaultdict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]]
        self._idle = defaultdict(list)
        self._lent: set[httpcore.AsyncHTTPConnection] = set()

    @asynccontextmanager
    async def post(
        self, url: str, *, headers: Mapping[str, str], content: bytes
    ) -> AsyncIterator[Answer]:
        """The answer to a POST of ``content`` to ``url``, open while the block runs.

        Raises :class:`SendError` when no answer comes (nor while reading it)."""
        if self._transport is not None:
            async with self._mocked(url, headers, content) as answer:
                yield answer
            return
        try:
            target = _target(url)
        except httpx.InvalidURL as exc:
            raise _failure(exc) from exc
        request = httpcore.Request(
            b"POST",
            target.url,
            headers=[
                (b"host", target.host),
                (b"user-agent", USER_AGENT),
                *headers.items(),
                (b"content-length", str(len(content))),
            ],
            content=content,
            extensions={"timeout": self._timeouts},
        )
        connection = await self._borrow(target)
        self._lent.add(connection)
        try:
            try:
                response = await connection.handle_async_request(request)
            except (*_TIMEOUTS, *_FAILURES) as exc:
                raise _failure(exc) from exc
            try:
                yield Answer(response.status, response.aiter_stream())
            finally:
                await response.aclose()
        finally:
            self._lent.discard(connection)
            await self._give_back(target, connection)

    async def _borrow(self, target: _Target) -> httpcore.AsyncHTTPConnection:
        idle = self._idle[target.key]
        while idle:
            connection = idle.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
            await connection.aclose()
        ssl_context = None
        if target.origin.scheme == b"https":
            # Loading the CA bundle takes milliseconds: once per pool, not per connection.
            ssl_context = self._ssl = self._ssl or httpx.create_ssl_context()
        return httpcore.AsyncHTTPConnection(
            target.origin,
            ssl_context=ssl_context,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=self._backend,
        )

    async def _give_back(self, target: _Target, connection: httpcore.AsyncHTTPConnection) -> None:
        idle = self._idle[target.key]
        if connection.is_available() and len(idle) < self._idle_per_origin:
            idle.append(connection)
        else:
            await connection.aclose()

    @asynccontextmanager
    async def _mocked(
        self, url: str, headers: Mapping[str, str], content: bytes
    ) -> AsyncIterator[Answer]:
        assert self._transport is not None
        try:
            request = httpx.Request(
                "POST", url, headers={"user-agent": USER_AGENT, **headers}, content=content
            )
            request.extensions["timeout"] = self._timeouts
            response = await self._transport.handle_async_request(request)
        except (*_TIMEOUTS, *_FAILURES) as exc:
            raise _failure(exc) from exc
        try:
            yield Answer(response.status_code, response.aiter_bytes())
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        connections = [c for idle in self._idle.values() for c in idle] + list(self._lent)
        self._idle.clear()
        self._lent.clear()
        for connection in connections:
            await connection.aclose()
        if self._transport is not None:
            await self._transport.aclose()
