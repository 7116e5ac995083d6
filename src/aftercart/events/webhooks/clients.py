"""Keep-alive HTTP connections for deliveries: httpx transports of one connection each.

httpcore's pool checks every connection it holds on every request, so one pool of a hundred
connections spends more time choosing a connection than sending. Here each transport holds one
connection and is lent to one request at a time, per origin. Requests go to the transport
directly (``httpx.AsyncBaseTransport.handle_async_request``): a delivery needs none of what
``AsyncClient`` adds (cookies, redirects, auth flows), and skipping it saves a fifth of the CPU.
``bench/webhook_throughput.py`` measures the effect.
"""

import ssl
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from aftercart import __version__
from aftercart.events.webhooks.urls import PublicOnlyBackend

TIMEOUT_SECONDS = 10.0
USER_AGENT = f"Aftercart-Webhooks/{__version__}"
#: Idle connections kept per origin (scheme, host, port); more are closed when returned.
IDLE_PER_ORIGIN = 64


@lru_cache(maxsize=1024)
def _parsed(url: str) -> httpx.URL:
    return httpx.URL(url)


class TransportPool:
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
        self._shared = transport
        self._public_only = public_only
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._idle_per_origin = idle_per_origin
        self._ssl: ssl.SSLContext | None = None
        self._idle: defaultdict[str, list[httpx.AsyncBaseTransport]] = defaultdict(list)
        self._lent: set[httpx.AsyncBaseTransport] = set()

    def request(
        self, url: str, *, headers: dict[str, str], content: bytes | None = None, **kw: Any
    ) -> httpx.Request:
        """A POST carrying the timeouts that a client would have added."""
        headers = {"user-agent": USER_AGENT, **headers}
        request = httpx.Request("POST", _parsed(url), content=content, headers=headers, **kw)
        request.extensions["timeout"] = self._timeout
        return request

    def _new(self) -> httpx.AsyncBaseTransport:
        if self._ssl is None:
            # Loading the CA bundle takes milliseconds: once per pool, not per connection.
            self._ssl = httpx.create_ssl_context()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits)
        if self._public_only:
            # httpx takes no network backend, so its connection pool is replaced by an equal
            # one that has it; httpx's mapping of requests, answers and errors stays.
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl,
                max_connections=1,
                max_keepalive_connections=1,
                network_backend=PublicOnlyBackend(),
            )
        return transport

    @asynccontextmanager
    async def lend(self, url: httpx.URL) -> AsyncIterator[httpx.AsyncBaseTransport]:
        """A transport for one request to ``url``'s origin, kept afterwards for reuse."""
        if self._shared is not None:
            yield self._shared
            return
        origin = f"{url.scheme}://{url.host}:{url.port}"
        idle = self._idle[origin]
        transport = idle.pop() if idle else self._new()
        self._lent.add(transport)
        try:
            yield transport
        finally:
            self._lent.discard(transport)
            if len(idle) < self._idle_per_origin:
                idle.append(transport)
            else:
                await transport.aclose()

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Sends ``request`` and reads the whole answer (for small answers: tokens)."""
        async with self.lend(request.url) as transport:
            response = await transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response

    async def aclose(self) -> None:
        transports = [t for idle in self._idle.values() for t in idle] + list(self._lent)
        self._idle.clear()
        self._lent.clear()
        for transport in transports:
            await transport.aclose()
        if self._shared is not None:
            await self._shared.aclose()
