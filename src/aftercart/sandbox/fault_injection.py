"""Sandbox faults on API requests: an ASGI middleware that delays, refuses or cuts a request of
a client with a matching rule (``docs/sandbox.md``, "Faults").

A fault acts before the endpoint, as a failing gateway or an overloaded server would: a latency
waits and then lets the request through; an ``error`` (429, 503, 500) or a ``drop`` answers in
its place, and the endpoint never runs, so nothing changes. The caller is read from the bearer
token here (the process's token cache, else a read), before the request opens its transaction:
so a delay holds no connection and no SQLite write lock, and drawing (which counts in the
database) never waits on the request's own transaction.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftercart.auth.cache import TokenCache
from aftercart.auth.secrets import digest
from aftercart.auth.service import resolve_token
from aftercart.envelopes import SERVER_ERROR_MESSAGE, dialect_for, render
from aftercart.errors import AftercartError, ServiceUnavailable, TooManyRequests
from aftercart.sandbox import fault_rules, faults
from aftercart.sandbox.fault_rules import Effect, Kind, RequestFault, Rule, Target

#: How long a process trusts the rules it read for a client. The process that changes a
#: client's rules through the API forgets them at once; other processes (and the CLI's changes)
#: are seen within this. A client without rules so costs one query a second per process, not
#: one per request.
CACHE_SECONDS: Final = 1.0
MAX_CACHED_CLIENTS: Final = 10_000
#: Names the rules that touched an answer, so a simulated failure is never taken for a real one.
FAULT_HEADER: Final = b"x-sandbox-fault"

Sessions = async_sessionmaker[AsyncSession]
Known = list[tuple[int, Rule]]


@dataclass(frozen=True)
class _Entry:
    rules: Known
    read_at: float


class FaultCache:
    """Each client's API rules, read at most once per :data:`CACHE_SECONDS`.

    A read that began before :meth:`forget` is not kept (the generation moved on meanwhile), so
    a change committed during that read is never hidden for a whole period."""

    def __init__(
        self, *, max_age: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: dict[str, _Entry] = {}
        self._generation = 0
        self._max_age = max_age
        self._clock = clock

    async def rules(self, sessions: Sessions, client_id: str) -> Known:
        now = self._clock()
        entry = self._entries.get(client_id)
        if entry is not None and now - entry.read_at < self._max_age:
            return entry.rules
        generation = self._generation
        async with sessions() as session:
            rules = await faults.rules_of(session, client_id=client_id, target=Target.API)
        if generation == self._generation:
            if len(self._entries) >= MAX_CACHED_CLIENTS:
                self._entries.clear()
            self._entries[client_id] = _Entry(rules, now)
        return rules

    def forget(self, client_id: str) -> None:
        self._generation += 1
        self._entries.pop(client_id, None)


class FaultMiddleware:
    """Applies the caller's rules to each request before the endpoint sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cache = FaultCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if fault_rules.is_faults_path(scope["path"]):
            await self.app(scope, receive, self._forgetting(scope, send))
            return
        fault = await self._fault(scope)
        if not fault.rule_ids:
            await self.app(scope, receive, send)
            return
        ids = ",".join(str(i) for i in fault.rule_ids)
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.cut is None:
            await self.app(scope, receive, _marking(send, ids))
        elif fault.cut.kind is Kind.DROP:
            # The head of an answer whose body never comes: the server closes the connection.
            await send(_unfinished_head(ids))
        else:
            answer = _error_answer(fault.cut, scope["path"])
            answer.headers[FAULT_HEADER.decode()] = ids
            await answer(scope, receive, send)

    async def _fault(self, scope: Scope) -> RequestFault:
        client_id = await _caller(scope)
        if client_id is None:
            return RequestFault()
        # Named for what runs around the request (the request monitor), since an answer given
        # in the endpoint's place never reaches ``authenticate``, which would name it.
        scope.setdefault("state", {})["client_id"] = client_id
        state = scope["app"].state
        known = await self.cache.rules(state.read_sessions, client_id)
        method, path = scope["method"], scope["path"]
        matching = [(i, r) for i, r in known if fault_rules.matches_request(r, method, path)]
        if not matching:
            return RequestFault()
        async with state.sessions() as session:
            numbers = await faults.consult(session, {fault_id: 1 for fault_id, _ in matching})
            await session.commit()
        return fault_rules.request_fault(
            (i, rule, fault_rules.draw(rule, numbers[i])) for i, rule in matching if i in numbers
        )

    def _forgetting(self, scope: Scope, send: Send) -> Send:
        """Forgets the caller's rules once a change to them is answered (it has committed)."""

        async def forgetting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                client_id = scope.get("state", {}).get("client_id")
                if client_id is not None and scope["method"] != "GET":
                    self.cache.forget(client_id)
            await send(message)

        return forgetting_send


async def _caller(scope: Scope) -> str | None:
    """The client of the request's bearer token, when it is live (else the endpoint answers 401
    itself, unfaulted)."""
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    state = scope["app"].state
    token = token.strip()
    cache: TokenCache = state.token_cache
    live = cache.get(digest(token), now=time.monotonic())
    if live is None:
        async with state.read_sessions() as session:
            live = await resolve_token(session, token)
    return None if live is None else live.context.client_id


def _marking(send: Send, ids: str) -> Send:
    async def marked_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (FAULT_HEADER, ids.encode())]
            message = {**message, "headers": headers}
        await send(message)

    return marked_send


def _unfinished_head(ids: str) -> Message:
    """A 200's status line and headers, promising a body (chunked, without a length)."""
    headers = [(b"content-type", b"application/json"), (FAULT_HEADER, ids.encode())]
    return {"type": "http.response.start", "status": 200, "headers": headers}


def _error_answer(effect: Effect, path: str) -> JSONResponse:
    """The error in the envelope the path answers in, as the endpoint's own would be."""
    error: AftercartError
    if effect.status == 429:
        error = TooManyRequests(retry_after=effect.retry_after or 0)
    elif effect.status == 503:
        error = ServiceUnavailable()
    else:
        error = AftercartError(SERVER_ERROR_MESSAGE, code=5000, status_code=500)
    response = render(error, dialect_for(path))
    if effect.retry_after is not None:
        response.headers["Retry-After"] = str(effect.retry_after)
    return response
