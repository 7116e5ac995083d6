"""The body of one order's event stream."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio
from sse_starlette import ServerSentEvent

from aftercart.events.stream.broker import Broker, Subscription
from aftercart.events.stream.rules import SEPARATOR

#: Sent once the stream is subscribed: anything committed after it is delivered.
OPEN = ServerSentEvent(comment="open", sep=SEPARATOR).encode()


def keep_alive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive", sep=SEPARATOR)


async def _drop_on(shutdown: anyio.Event, subscription: Subscription) -> None:
    await shutdown.wait()
    subscription.drop()


async def order_stream(
    broker: Broker,
    *,
    order_pk: int,
    after: int | None,
    max_seconds: float,
    shutdown: anyio.Event | None = None,
) -> AsyncIterator[bytes]:
    """Sends the order's events with id > ``after`` (or, without it, those committed from now
    on), then each new one as it is notified, until the stream's lifetime is over, it falls
    too far behind, or the server shuts down (``shutdown`` is set): the stream then ends
    cleanly, and the client resumes elsewhere with ``Last-Event-ID``. Holds no database
    session between reads."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    subscription = broker.subscribe(order_pk)
    watcher = asyncio.create_task(_drop_on(shutdown, subscription)) if shutdown else None
    try:
        cursor = after if after is not None else await broker.start_after(order_pk)
        yield OPEN
        needed = 0
        while not subscription.dropped:
            while batch := await broker.read(order_pk, after=cursor, needed=needed):
                for message in batch:
                    yield message.data
                    cursor = message.event_id
                if subscription.dropped:
                    return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            needed = await subscription.wait(remaining)
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        broker.unsubscribe(subscription)
