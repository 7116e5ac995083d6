"""Receivers and arrangements for webhook tests."""

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.tenancy import serve_tenant
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.webhooks import service
from aftercart.events.webhooks.clients import ConnectionPool
from aftercart.events.webhooks.oauth import OAuthSettings, TokenCache
from aftercart.events.webhooks.sender import Sender
from aftercart.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from aftercart.models.tenant import DEFAULT_TENANT

Sessions = async_sessionmaker[AsyncSession]
RECEIVER = "https://hooks.retailer.example/aftercart"
TOKEN_URL = "https://auth.retailer.example/oauth/token"


@dataclass
class Receiver:
    """An in-memory retailer: answers callbacks with ``status`` (or ``answer(request)``) and
    its token endpoint with numbered tokens; keeps every request."""

    status: int = 200
    answer: Callable[[httpx.Request], httpx.Response] | None = None
    token_expires_in: int = 3600
    reject_tokens: set[str] = field(default_factory=set)
    calls: list[httpx.Request] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            form = dict(httpx.QueryParams(request.content.decode()))
            self.token_requests.append(form)
            token = f"token-{len(self.token_requests)}"
            return httpx.Response(
                200, json={"access_token": token, "expires_in": self.token_expires_in}
            )
        self.calls.append(request)
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") in self.reject_tokens:
            return httpx.Response(401, json={"error": "invalid_token"})
        if self.answer is not None:
            return self.answer(request)
        return httpx.Response(self.status, text=f"answered {self.status}")

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(call.content) for call in self.calls]


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)
        self.monotonic = 0.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.monotonic += delta.total_seconds()


def sender_for(receiver: Receiver, clock: Clock | None = None) -> Sender:
    pool = ConnectionPool(httpx.MockTransport(receiver.handle))
    if clock is None:
        return Sender(pool)
    return Sender(pool, clock=clock, tokens=TokenCache(clock=lambda: clock.monotonic))


async def subscribe(
    sessions: Sessions,
    client_id: str,
    *,
    url: str = RECEIVER,
    event_names: list[str] | None = None,
    oauth: bool = False,
) -> WebhookSubscription:
    settings = OAuthSettings(TOKEN_URL, "aftercart", "s3cret", "callbacks") if oauth else None
    async with sessions() as session:
        subscription = await service.create_subscription(
            session,
            client_id=client_id,
            url=url,
            event_names=event_names,
            oauth=settings,
            allow_private=True,
        )
        await session.commit()
    return subscription


async def record_events(sessions: Sessions, count: int) -> None:
    """``count`` events (owed to every matching subscription), committed together."""
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        for _ in range(count):
            await record_event(session, names.PICKING, metadata={})
        await session.commit()


async def deliveries(sessions: Sessions) -> list[WebhookDelivery]:
    async with sessions() as session:
        rows = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows.all())


async def delivery(sessions: Sessions, delivery_id: int) -> WebhookDelivery:
    async with sessions() as session:
        found = await session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found


async def attempts(sessions: Sessions, delivery_id: int) -> list[WebhookAttempt]:
    async with sessions() as session:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
        return list(rows.all())


ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@lru_cache
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text())
    return document


def payload_errors(body: dict[str, Any]) -> list[str]:
    """What is wrong with ``body`` according to the AsyncAPI message of its event name."""
    document = asyncapi()
    [message] = [
        m for m in document["components"]["messages"].values() if m["name"] == body["event_name"]
    ]
    schema = {**document, "$ref": message["payload"]["$ref"]}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


@contextlib.contextmanager
def serving_in_a_thread(server: ThreadingHTTPServer) -> Iterator[None]:
    """A real HTTP receiver on its own thread, for the tests that start server processes."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
