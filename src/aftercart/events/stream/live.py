"""One order's event stream: what it writes, and the lean ASGI response that writes it.

A thousand streams of one order each pay, per event, one wakeup and one ``send``: the event was
encoded once and queued by the order's feed. So the response runs no task per stream beyond the
one that listens for the client's disconnect, and keeps its keep-alive and lifetime in a timer.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sse_starlette import ServerSentEvent
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from aftercart.db.types import utcnow
from aftercart.events.stream.broker import Broker, Subscription
from aftercart.events.stream.rules import SEPARATOR
from aftercart.events.stream.tokens import StreamLease
from aftercart.observability import metrics

log = logging.getLogger(__name__)

#: Sent once the stream is subscribed: anything committed after it is delivered.
OPEN = ServerSentEvent(comment="open", sep=SEPARATOR).encode()
KEEP_ALIVE = ServerSentEvent(comment="keep-alive", sep=SEPARATOR).encode()

#: Writes one chunk of the body to the client.
Write = Callable[[bytes], Awaitable[None]]

#: As sse-starlette sends them: no caching, and no buffering by a proxy such as nginx.
HEADERS = {"Cache-Control": "no-store", "Connection": "keep-alive", "X-Accel-Buffering": "no"}


async def pump(
    broker: Broker,
    subscription: Subscription,
    write: Write,
    *,
    after: int | None,
    keepalive_seconds: float,
    max_seconds: float,
) -> None:
    """Writes the order's events with id > ``after`` (or, without it, those committed from now
    on), then each new one as the feed queues it, and a keep-alive comment every
    ``keepalive_seconds``; until the lifetime is over or the subscription is closed (dropped
    for falling behind, the client gone, the server shutting down). The client then resumes
    with ``Last-Event-ID``. Holds no database session between reads; unsubscribes at the end.

    One timer serves both the keep-alive and the lifetime, and is set again only when it rings,
    so that an event costs no timer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    ringing = False

    def ring() -> None:
        nonlocal ringing
        ringing = True
        subscription.wake()

    alarm = loop.call_at(min(loop.time() + keepalive_seconds, deadline), ring)
    try:
        cursor = after if after is not None else await broker.start_after(subscription.order_pk)
        await write(OPEN)
        while not (subscription.joined or subscription.closed):
            for message in await broker.backlog(subscription, after=cursor):
                await write(message.data)
                cursor = message.event_id
        while not subscription.closed:
            for chunk in subscription.take():
                if subscription.closed:
                    return
                await write(chunk)
            if ringing:
                now = loop.time()
                if now >= deadline:
                    return
                ringing = False
                alarm = loop.call_at(min(now + keepalive_seconds, deadline), ring)
                await write(KEEP_ALIVE)
            else:
                await subscription.changed()
    finally:
        alarm.cancel()
        broker.unsubscribe(subscription)


class ClientStalled(Exception):
    """The client accepted nothing for the send timeout."""


class OrderEventsResponse(Response):
    """``text/event-stream`` of one order, resumable after ``after``.

    sse-starlette's response costs four tasks per stream and, per message, an anyio cancel
    scope; here a message costs one ``send`` under a plain timeout. A client that accepts
    nothing for ``send_timeout`` seconds is cut off (uvicorn closes the connection).
    """

    def __init__(
        self,
        broker: Broker,
        *,
        order_pk: int,
        after: int | None,
        keepalive_seconds: float,
        max_seconds: float,
        send_timeout: float,
        lease: StreamLease | None = None,
        token_expires_at: datetime | None = None,
    ) -> None:
        """``lease`` ends the stream when its token is revoked; ``token_expires_at`` when the
        token expires."""
        # Not Response.__init__: it would render an empty body and announce Content-Length: 0.
        # The media type is the instance's, as sse-starlette has it, so that the OpenAPI
        # document keeps describing the stream by the route's ``responses`` alone.
        self.status_code = 200
        self.background = None
        self.media_type = "text/event-stream"
        self.init_headers(HEADERS)
        self._broker = broker
        self._order_pk = order_pk
        self._after = after
        self._keepalive_seconds = keepalive_seconds
        self._max_seconds = max_seconds
        self._send_timeout = send_timeout
        self._lease = lease
        self._token_expires_at = token_expires_at

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._respond(receive, send)
        finally:
            if self._lease is not None:
                # Shielded: a stream cancelled (at shutdown, say) still gives its place back.
                await asyncio.shield(self._lease.release())

    async def _respond(self, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            with metrics.OPEN_STREAMS.track_inprogress():
                await self._stream(receive, send)
        except ClientStalled:
            # Returning without the end of the body has uvicorn close the connection.
            log.info("a client of order %s stopped reading its stream", self._order_pk)
            return
        except Exception:
            # Ended like any other stream, so that the client resumes at once.
            log.exception("event stream of order %s failed", self._order_pk)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()

    async def _stream(self, receive: Receive, send: Send) -> None:
        lifetime = self._max_seconds
        if self._token_expires_at is not None:
            lifetime = min(lifetime, (self._token_expires_at - utcnow()).total_seconds())
        if lifetime <= 0 or (self._lease is not None and self._lease.ended):
            return
        await self._pump(receive, send, lifetime)

    async def _pump(self, receive: Receive, send: Send, lifetime: float) -> None:
        subscription = self._broker.subscribe(self._order_pk)
        if self._lease is not None:
            self._lease.attach(subscription)
        listener = asyncio.create_task(_close_on_disconnect(receive, subscription))
        timeout = self._send_timeout

        async def write(chunk: bytes) -> None:
            try:
                async with asyncio.timeout(timeout):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except TimeoutError:
                raise ClientStalled from None

        try:
            await pump(
                self._broker,
                subscription,
                write,
                after=self._after,
                keepalive_seconds=self._keepalive_seconds,
                max_seconds=lifetime,
            )
        finally:
            listener.cancel()


async def _close_on_disconnect(receive: Receive, subscription: Subscription) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    subscription.close()
