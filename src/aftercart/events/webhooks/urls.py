"""Which URLs a subscription may point at: http(s), and public hosts unless allowed otherwise."""

import asyncio
import socket
from urllib.parse import urlsplit

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
