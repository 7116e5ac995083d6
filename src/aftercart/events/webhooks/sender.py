"""One delivery attempt over HTTP: sign, authenticate, POST, and note what came back."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from standardwebhooks import Webhook

from aftercart.db.types import utcnow
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.clients import TIMEOUT_SECONDS, ConnectionPool, SendError
from aftercart.events.webhooks.oauth import OAuthSettings, TokenCache, TokenError


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to send it, detached from any session."""

    delivery_id: int
    subscription_id: int
    url: str
    signing_secret: str
    oauth: OAuthSettings | None
    body: bytes
    attempts: int
    first_at: datetime
    lease: datetime | None = None
    #: When its event happened, on the order domain's time (a frozen sandbox clock's, if any):
    #: a retry that waits on that clock counts its window from here.
    event_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    started_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None = None
    error: str | None = None


@dataclass
class Result:
    """Every POST made for one job (two when a 401 made us fetch a fresh token)."""

    job: Job
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]


@lru_cache(maxsize=4096)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def sign(secret: str, msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``."""
    signature = _signer(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


class Sender:
    """Sends jobs over pooled keep-alive connections; ``aclose()`` when done."""

    def __init__(
        self,
        pool: ConnectionPool | None = None,
        *,
        tokens: TokenCache | None = None,
        clock: Callable[[], datetime] = utcnow,
        timeout: float = TIMEOUT_SECONDS,
        public_only: bool = False,
    ) -> None:
        self.pool = pool or ConnectionPool(timeout=timeout, public_only=public_only)
        self.tokens = tokens or TokenCache()
        self.clock = clock
        self.timeout = timeout

    async def aclose(self) -> None:
        await self.pool.aclose()

    async def deliver(self, job: Job) -> Result:
        result = Result(job)
        if job.oauth is None:
            result.attempts.append(await self._post(job, None))
            return result
        token = await self._token(job, job.oauth, result)
        if token is None:
            return result
        result.attempts.append(await self._post(job, token))
        if result.final.status_code == 401:
            self.tokens.discard(job.subscription_id, job.oauth, token)
            token = await self._token(job, job.oauth, result)
            if token is not None:
                result.attempts.append(await self._post(job, token))
        return result

    async def _token(self, job: Job, oauth: OAuthSettings, result: Result) -> str | None:
        """The receiver's token, or ``None`` after noting the failure as an attempt."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self.tokens.get(self.pool, job.subscription_id, oauth)
        except (TokenError, TimeoutError) as exc:
            error = str(exc) or "token request timed out"
            result.attempts.append(Attempt(self.clock(), None, 0, None, f"oauth: {error}"))
            return None

    async def _post(self, job: Job, token: str | None) -> Attempt:
        started_at = self.clock()
        headers = sign(job.signing_secret, rules.message_id(job.delivery_id), started_at, job.body)
        headers["content-type"] = "application/json"
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        began = time.perf_counter()
        status_code: int | None = None
        body = b""
        error: str | None = None
        try:
            async with (
                asyncio.timeout(self.timeout),
                self.pool.post(job.url, headers=headers, content=job.body) as answer,
            ):
                status_code = answer.status
                body = await answer.read(rules.RESPONSE_EXCERPT_BYTES)
        except TimeoutError:
            error = f"timed out after {self.timeout:g} s"
        except SendError as exc:
            error = str(exc)
        latency_ms = round((time.perf_counter() - began) * 1000)
        if status_code is None:
            return Attempt(started_at, None, latency_ms, None, error)
        if error is not None:
            error = f"answer cut short: {error}"
        return Attempt(started_at, status_code, latency_ms, rules.excerpt(body), error)
