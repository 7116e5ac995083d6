"""How notifications reach the broker: PostgreSQL LISTEN (sent by :mod:`.notify` inside the
event's transaction) between processes, or a commit hook inside one process."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event as orm_event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aftercart.config import Settings
from aftercart.db.engine import normalize_url
from aftercart.events.stream import rules
from aftercart.events.stream.broker import Broker, Sessions
from aftercart.models import Event

log = logging.getLogger(__name__)

_PENDING = "aftercart.stream.pending"
RECONNECT_MAX_SECONDS = 30.0


def uses_postgres(settings: Settings) -> bool:
    """``auto`` means LISTEN/NOTIFY whenever the database is PostgreSQL."""
    on_postgres = make_url(normalize_url(settings.database_url)).get_backend_name() == "postgresql"
    if settings.broker == "postgres" and not on_postgres:
        raise ValueError("AFTERCART_BROKER=postgres needs a PostgreSQL database")
    return settings.broker == "postgres" or (settings.broker == "auto" and on_postgres)


@contextlib.asynccontextmanager
async def connected(sessions: Sessions, settings: Settings) -> AsyncIterator[Broker]:
    """A running broker fed by LISTEN (PostgreSQL) or by this process's commits (memory)."""
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
            with _publish_after_commit(sessions, broker):
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


@contextlib.contextmanager
def _publish_after_commit(sessions: Sessions, broker: Broker) -> Iterator[None]:
    """Within one process: the app's sessions note the events they flush and publish them
    once the transaction has committed (forgetting them on rollback)."""
    base: type[Session] = sessions.kw.get("sync_session_class") or Session
    publishing = type("PublishingSession", (base,), {})

    def collect(session: Session, _context: Any) -> None:
        pending = session.info.setdefault(_PENDING, [])
        pending.extend((o.order_pk, o.id) for o in session.new if isinstance(o, Event))

    def publish(session: Session) -> None:
        for order_pk, event_id in session.info.pop(_PENDING, ()):
            broker.publish(order_pk, event_id)

    def forget(session: Session) -> None:
        session.info.pop(_PENDING, None)

    orm_event.listen(publishing, "after_flush", collect)
    orm_event.listen(publishing, "after_commit", publish)
    orm_event.listen(publishing, "after_rollback", forget)
    sessions.configure(sync_session_class=publishing)
    try:
        yield
    finally:
        sessions.configure(sync_session_class=base)
