"""The notification an event sends to live streams in other processes.

On PostgreSQL it is a ``NOTIFY`` issued inside the transaction that writes the event: the server
delivers it only when that transaction commits, never for one rolled back, and in commit order.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import is_postgres
from aftercart.events.stream import rules
from aftercart.models import Event


async def notify(session: AsyncSession, event: Event) -> None:
    """Queues the event's notification in its transaction (PostgreSQL; nothing on SQLite, where
    the app's commit hook publishes in-process)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": rules.CHANNEL, "payload": rules.notification(event.order_pk, event.id)},
        )
