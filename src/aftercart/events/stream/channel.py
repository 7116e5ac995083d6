"""How notifications reach the broker: PostgreSQL LISTEN (sent by :mod:`.notify` inside the
event's transaction) between processes, or, inside one process, the application's after-commit
queue."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from aftercart.config import Settings
from aftercart.db.aftercommit import AfterCommit, EventCommitted
from aftercart.db.engine import normalize_url
from aftercart.events.stream import rules
from aftercart.events.stream.broker import Broker, Sessions

log = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 30.0


def uses_postgres(settings: Settings) -> bool:
    """``auto`` means LISTEN/NOTIFY whenever the database is PostgreSQL."""
    on_postgres = make_url(normalize_url(settings.database_url)).get_backend_name() == "postgresql"
    if settings.broker == "postgres" and not on_postgres:
        raise ValueError("AFTERCART_BROKER=postgres needs a PostgreSQL database")
    return settings.broker == "postgres" or (settings.broker == "auto" and on_postgres)


@contextlib.asynccontextmanager
async def connected(
    sessions: Sessions, settings: Settings, after_commit: AfterCommit | None = None
) -> AsyncIterator[Broker]:
    """A running broker fed by LISTEN (PostgreSQL) or by this process's commits (memory): the
    events that ``after_commit`` is told of."""
    broker = Broker(
        sessions,
        max_pending=settings.stream_max_pending,
        poll_seconds=settings.stream_poll_seconds,
    )
    async with broker.running():
        if uses_postgres(settings):
            stop = asyncio.Event()
            task = asyncio.create_task(
                _listen_forever(_dsn(settings), broker, settings.stream_poll_seconds, stop),
                name="event-stream-listen",
            )
            try:
                yield broker
            finally:
                stop.set()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        else:
            if after_commit is not None:
                after_commit.on(EventCommitted, lambda n: broker.publish(n.order_pk, n.event_id))
            yield broker


def _dsn(settings: Settings) -> str:
    url = make_url(normalize_url(settings.database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _on_notification(broker: Broker) -> Any:
    def callback(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        parsed = rules.parse_notification(payload)
        if parsed is not None:
            broker.publish(*parsed)

    return callback


async def _listen_forever(
    dsn: str, broker: Broker, check_seconds: float, stop: asyncio.Event
) -> None:
    """Keeps one dedicated connection listening; reconnects with backoff when it is lost."""
    delay = 0.5
    while not stop.is_set():
        try:
            await _listen_once(dsn, broker, check_seconds, stop)
            delay = 0.5
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("LISTEN connection for event streams failed (%s); reconnecting", error)
        if not stop.is_set():
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)


async def _listen_once(dsn: str, broker: Broker, check_seconds: float, stop: asyncio.Event) -> None:
    """Listens until ``stop`` or until the connection is lost (checked every
    ``check_seconds``). Once listening, has the table checked at once for what was committed
    while no connection listened."""
    connection: Any = await asyncpg.connect(dsn, timeout=10)
    lost = asyncio.Event()
    try:
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(rules.CHANNEL, _on_notification(broker))
        broker.check_table_now()
        while not stop.is_set() and not lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(check_seconds):
                    await stop.wait()
            if not stop.is_set():
                await connection.fetchval("SELECT 1")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), timeout=5)
