"""The body of one order's event stream."""

import asyncio
from collections.abc import AsyncIterator

from sse_starlette import ServerSentEvent

from aftercart.events.stream.broker import Broker
from aftercart.events.stream.rules import SEPARATOR

#: Sent once the stream is subscribed: anything committed after it is delivered.
OPEN = ServerSentEvent(comment="open", sep=SEPARATOR).encode()


def keep_alive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive", sep=SEPARATOR)


async def order_stream(
    broker: Broker, *, order_pk: int, after: int | None, max_seconds: float
) -> AsyncIterator[bytes]:
    """Sends the order's events with id > ``after`` (or, without it, those committed from now
    on), then each new one as it is notified, until the stream's lifetime is over or it falls
    too far behind. Holds no database session between reads."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    subscription = broker.subscribe(order_pk)
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
        broker.unsubscribe(subscription)
