"""Tokens for receivers protected by OAuth, fetched as Connect does (client credentials, form
encoded) and cached in memory per process until they expire."""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from aftercart.events.webhooks.clients import ConnectionPool, SendError

#: A token is refreshed this long before the receiver says it expires.
EXPIRY_MARGIN_SECONDS = 30.0
#: Used when the token answer has no ``expires_in``.
DEFAULT_EXPIRES_IN = 3600.0
#: A token answer is read up to this size; a longer one fails to parse.
ANSWER_BYTES = 65_536


@dataclass(frozen=True)
class OAuthSettings:
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None


class TokenError(Exception):
    """The token endpoint could not be reached or gave no token; the delivery is retried."""


@dataclass
class _Cached:
    token: str
    expires_at: float


class TokenCache:
    """Access tokens keyed by subscription and its OAuth settings (a change invalidates)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[tuple[int, OAuthSettings], _Cached] = {}
        self._locks: dict[tuple[int, OAuthSettings], asyncio.Lock] = {}

    async def get(self, pool: ConnectionPool, subscription_id: int, settings: OAuthSettings) -> str:
        key = (subscription_id, settings)
        # One fetch per key at a time: a burst of deliveries shares the token it brings.
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached is not None and cached.expires_at > self._clock():
                return cached.token
            cached = await self._fetch(pool, settings)
            self._tokens[key] = cached
            return cached.token

    def discard(self, subscription_id: int, settings: OAuthSettings, token: str) -> None:
        """Forgets ``token`` after a 401, unless another delivery already replaced it."""
        key = (subscription_id, settings)
        cached = self._tokens.get(key)
        if cached is not None and cached.token == token:
            del self._tokens[key]

    async def _fetch(self, pool: ConnectionPool, settings: OAuthSettings) -> _Cached:
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        if settings.scope:
            form["scope"] = settings.scope
        headers = {
            "accept": "application/json",
            "content-type": "application/x-www-form-urlencoded",
        }
        try:
            async with pool.post(
                settings.token_url, headers=headers, content=urlencode(form).encode()
            ) as answer:
                status, body = answer.status, await answer.read(ANSWER_BYTES)
        except SendError as exc:
            raise TokenError(f"token request failed: {exc}") from exc
        if not 200 <= status < 300:
            raise TokenError(f"token endpoint answered {status}")
        try:
            fields = json.loads(body)
            token = fields["access_token"]
            expires_in = float(fields.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TokenError("token endpoint answered without an access_token") from exc
        if not isinstance(token, str) or not token:
            raise TokenError("token endpoint answered without an access_token")
        lifetime = max(expires_in - EXPIRY_MARGIN_SECONDS, expires_in / 2)
        return _Cached(token, self._clock() + lifetime)
