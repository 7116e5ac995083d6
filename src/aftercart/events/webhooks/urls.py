"""Which URLs webhooks may reach: http(s), and public hosts unless allowed otherwise. Checked
when a subscription is made, and again on every connection (:class:`PublicOnlyBackend`)."""

import asyncio
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore

from aftercart.errors import InvalidParameter
from aftercart.events.webhooks.rules import is_public_address

RESOLVE_TIMEOUT_SECONDS = 5.0


async def resolve(host: str, port: int) -> set[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself, without DNS)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):
        return set()
    return {str(info[4][0]) for info in infos}


async def check_url(url: str, *, key: str, allow_private: bool) -> None:
    """Refuses a URL that is not http(s), or whose host is (or resolves to) a private,
    loopback or link-local address, unless ``allow_private``; every resolved address must
    be public, so a name with one private record is refused too."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidParameter("is not a valid URL", key=key) from exc
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidParameter("must be an http or https URL", key=key)
    if allow_private:
        return
    addresses = await resolve(host, port)
    if not addresses:
        raise InvalidParameter("has a host that cannot be resolved", key=key)
    if not all(is_public_address(address) for address in addresses):
        raise InvalidParameter(
            "must not point to a private, loopback or link-local address", key=key
        )


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses. The host is resolved here and the connection is made
    to an address that passed the check, so a name whose answer changes after the subscription
    was checked (DNS rebinding) cannot reach a private network. TLS still verifies the name."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = sorted(await resolve(host, port))
        if not addresses:
            raise httpcore.ConnectError(f"{host} cannot be resolved")
        if not all(is_public_address(address) for address in addresses):
            raise httpcore.ConnectError(
                f"{host} resolves to a private, loopback or link-local address"
            )
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
